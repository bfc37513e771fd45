// FFmpeg encoding for synthetic datasets and test fixtures.
#include "video_writer.h"
#include "av_error.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}

#include <cstring>
#include <stdexcept>
#include <vector>

namespace cvrl::video {

namespace {

struct Writer {
  std::string path;
  AVFormatContext* fmt = nullptr;
  AVCodecContext* enc = nullptr;
  AVStream* st = nullptr;
  AVFrame* frame = nullptr;
  AVPacket* pkt = nullptr;
  SwsContext* sws = nullptr;
  bool headerWritten = false;

  [[noreturn]] void Fail(const std::string& m) { throw std::runtime_error(path + ": " + m); }

  ~Writer() {
    sws_freeContext(sws);
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&enc);
    if (fmt) {
      if (fmt->pb && !(fmt->oformat->flags & AVFMT_NOFILE)) avio_closep(&fmt->pb);
      avformat_free_context(fmt);
    }
  }

  void Drain(bool flush) {
    int r = avcodec_send_frame(enc, flush ? nullptr : frame);
    if (r < 0) Fail("encoder error (" + AvErr(r) + ")");
    while (true) {
      r = avcodec_receive_packet(enc, pkt);
      if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return;
      if (r < 0) Fail("encoder error (" + AvErr(r) + ")");
      av_packet_rescale_ts(pkt, enc->time_base, st->time_base);
      pkt->stream_index = st->index;
      r = av_interleaved_write_frame(fmt, pkt);
      if (r < 0) Fail("write error (" + AvErr(r) + ")");
    }
  }
};

}  // namespace

void WriteVideo(const std::string& path, const at::Tensor& frames, const EncodeOptions& o) {
  Writer w;
  w.path = path;
  const int T = static_cast<int>(frames.size(0)), H = static_cast<int>(frames.size(1)), W = static_cast<int>(frames.size(2));
  if (T < 1) w.Fail("no frames to encode");
  int r = avformat_alloc_output_context2(&w.fmt, nullptr, nullptr, path.c_str());
  if (r < 0 || !w.fmt) w.Fail("cannot choose a container from the file name (" + AvErr(r) + ")");
  w.fmt->flags |= AVFMT_FLAG_BITEXACT;  // no random ids (Matroska's segment UID): same frames, same file

  const char* name = o.codec == "h264" ? "libx264" : o.codec == "vp9" ? "libvpx-vp9" : o.codec.c_str();
  const AVCodec* codec = avcodec_find_encoder_by_name(name);
  if (!codec) w.Fail("encoder '" + o.codec + "' is not available in this FFmpeg build");
  w.enc = avcodec_alloc_context3(codec);
  w.st = avformat_new_stream(w.fmt, nullptr);
  w.pkt = av_packet_alloc();
  w.frame = av_frame_alloc();
  if (!w.enc || !w.st || !w.pkt || !w.frame) w.Fail("out of memory");
  const bool chroma420 = (H % 2 == 0) && (W % 2 == 0);
  if (!chroma420 && o.codec != "mjpeg") w.Fail("width and height must be even for " + o.codec);
  w.enc->width = W;
  w.enc->height = H;
  w.enc->time_base = AVRational{1, o.fps};
  w.enc->framerate = AVRational{o.fps, 1};
  w.enc->gop_size = o.gop;
  w.enc->max_b_frames = o.codec == "mpeg4" || o.codec == "h264" ? o.bframes : 0;
  w.enc->pix_fmt = o.codec == "mjpeg" ? AV_PIX_FMT_YUVJ420P : AV_PIX_FMT_YUV420P;
  if (o.codec == "mpeg4" || o.codec == "mjpeg") {
    w.enc->flags |= AV_CODEC_FLAG_QSCALE;
    w.enc->global_quality = FF_QP2LAMBDA * 3;
  }
  if (o.codec == "h264") {
    av_opt_set(w.enc->priv_data, "preset", "veryfast", 0);
    av_opt_set_int(w.enc->priv_data, "crf", o.crf, 0);
    // x264's AVX-512 kernels make its output depend on memory left over from earlier work (the same
    // frames gave different files in about one encode in five), so synthetic sets would differ from
    // run to run. Every AVX-512 CPU has AVX2, whose kernels are deterministic.
    if (__builtin_cpu_supports("avx512f")) av_opt_set(w.enc->priv_data, "x264-params", "asm=avx2", 0);
  }
  if (o.codec == "vp9") {
    av_opt_set_int(w.enc->priv_data, "crf", o.crf + 8, 0);
    av_opt_set(w.enc->priv_data, "deadline", "realtime", 0);
    av_opt_set_int(w.enc->priv_data, "cpu-used", 8, 0);
    w.enc->bit_rate = 0;
  }
  if (w.fmt->oformat->flags & AVFMT_GLOBALHEADER) w.enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  w.enc->thread_count = 1;
  r = avcodec_open2(w.enc, codec, nullptr);
  if (r < 0) w.Fail("cannot open encoder " + o.codec + " (" + AvErr(r) + ")");
  r = avcodec_parameters_from_context(w.st->codecpar, w.enc);
  if (r < 0) w.Fail("cannot set the stream's codec parameters (" + AvErr(r) + ")");
  w.st->time_base = w.enc->time_base;
  w.st->avg_frame_rate = w.enc->framerate;
  if (!(w.fmt->oformat->flags & AVFMT_NOFILE)) {
    // "file:": a name such as "http:x.mp4" stays a local path, never a URL to write to.
    r = avio_open(&w.fmt->pb, ("file:" + path).c_str(), AVIO_FLAG_WRITE);
    if (r < 0) w.Fail("cannot create file (" + AvErr(r) + ")");
  }
  r = avformat_write_header(w.fmt, nullptr);
  if (r < 0) w.Fail("cannot write header (" + AvErr(r) + ")");

  w.frame->format = w.enc->pix_fmt;
  w.frame->width = W;
  w.frame->height = H;
  if (av_frame_get_buffer(w.frame, 0) < 0) w.Fail("out of memory");
  w.sws = sws_getContext(W, H, AV_PIX_FMT_RGB24, W, H, w.enc->pix_fmt, SWS_BICUBIC, nullptr, nullptr, nullptr);
  if (!w.sws) w.Fail("cannot convert RGB to the encoder's pixel format");
  const uint8_t* base = frames.data_ptr<uint8_t>();
  // swscale's vector loads read a few bytes past a frame's last row: each frame goes through a
  // padded copy so that the last frame's reads stay inside memory we own.
  const size_t frameBytes = static_cast<size_t>(H) * W * 3;
  std::vector<uint8_t> padded(frameBytes + 64);
  for (int t = 0; t < T; t++) {
    if (av_frame_make_writable(w.frame) < 0) w.Fail("out of memory");
    std::memcpy(padded.data(), base + static_cast<size_t>(t) * frameBytes, frameBytes);
    const uint8_t* src[4] = {padded.data(), nullptr, nullptr, nullptr};
    int srcStride[4] = {W * 3, 0, 0, 0};
    r = sws_scale(w.sws, src, srcStride, 0, H, w.frame->data, w.frame->linesize);
    if (r != H) w.Fail("pixel conversion failed (" + (r < 0 ? AvErr(r) : std::to_string(r) + " of " + std::to_string(H) + " lines") + ")");
    w.frame->pts = t;
    w.Drain(false);
  }
  w.Drain(true);
  r = av_write_trailer(w.fmt);
  if (r < 0) w.Fail("cannot finish the file (" + AvErr(r) + ")");
}

}  // namespace cvrl::video
