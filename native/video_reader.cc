// FFmpeg demux/decode/scale for VideoReader. Seek targets are computed in the stream's time base
// from an exact packet index, never from float seconds (a float target lands one frame off).
#include "video_reader.h"
#include "av_error.h"
#include "frame_index_cache.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
}

#include <algorithm>
#include <cmath>

namespace cvrl::video {

struct VideoReader::Impl {
  std::string path;
  AVFormatContext* fmt = nullptr;
  AVCodecContext* dec = nullptr;
  SwsContext* sws = nullptr;
  AVPacket* pkt = nullptr;
  AVFrame* frame = nullptr;
  int stream = -1;
  int decoderThreads = 1;
  bool fast = true;
  bool indexed = false;
  bool countMode = false;  // frames indexed by decode order (no presentation timestamps)
  FrameIndex idx;
  std::vector<uint8_t> rgb;

  [[noreturn]] void Fail(const std::string& what) const { throw VideoError(path + ": " + what); }

  ~Impl() {
    sws_freeContext(sws);
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    if (fmt) avformat_close_input(&fmt);
  }

  void Open() {
    if (fmt) avformat_close_input(&fmt);
    int r = avformat_open_input(&fmt, path.c_str(), nullptr, nullptr);
    if (r < 0) Fail("cannot open (" + AvErr(r) + ")");
    // MP4 and Matroska headers carry complete codec parameters; analysing packets (which decodes
    // frames) is only needed for other containers, or when a probe reports frame rates.
    const std::string demuxer = fmt->iformat ? fmt->iformat->name : "";
    const bool selfDescribing = fast && (demuxer.rfind("mov,", 0) == 0 || demuxer.rfind("matroska", 0) == 0);
    stream = selfDescribing ? av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0) : -1;
    if (stream < 0 || fmt->streams[stream]->codecpar->width <= 0) {
      r = avformat_find_stream_info(fmt, nullptr);
      if (r < 0) Fail("cannot read stream info (" + AvErr(r) + ")");
    }
    stream = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (stream < 0) Fail("no video stream");
    AVCodecParameters* par = fmt->streams[stream]->codecpar;
    if (par->width <= 0 || par->height <= 0) Fail("video stream has no frame size");
    if (!pkt) pkt = av_packet_alloc();
    if (!frame) frame = av_frame_alloc();
    if (!pkt || !frame) Fail("out of memory");
    OpenDecoder();
  }

  void OpenDecoder() {
    avcodec_free_context(&dec);
    AVCodecParameters* par = fmt->streams[stream]->codecpar;
    const AVCodec* codec = avcodec_find_decoder(par->codec_id);
    if (!codec) Fail(std::string("no decoder for codec ") + avcodec_get_name(par->codec_id));
    dec = avcodec_alloc_context3(codec);
    if (!dec) Fail("out of memory");
    avcodec_parameters_to_context(dec, par);
    dec->thread_count = decoderThreads;
    // Report corrupt data as errors instead of concealing it: garbage frames must not pass.
    dec->err_recognition |= AV_EF_EXPLODE;
    int r = avcodec_open2(dec, codec, nullptr);
    if (r < 0) Fail("cannot open decoder (" + AvErr(r) + ")");
  }

  void BuildIndex() {
    if (indexed) return;
    if (IndexCache::Get(path, idx, countMode)) {
      indexed = true;
      return;
    }
    struct Packet {
      int64_t pts, dts;
      uint8_t key;
    };
    std::vector<Packet> packets;
    while (true) {
      int r = av_read_frame(fmt, pkt);
      if (r == AVERROR_EOF) break;
      if (r < 0) Fail("read error while indexing (" + AvErr(r) + ")");
      if (pkt->stream_index == stream && pkt->size > 0) packets.push_back({pkt->pts, pkt->dts, static_cast<uint8_t>((pkt->flags & AV_PKT_FLAG_KEY) ? 1 : 0)});
      av_packet_unref(pkt);
    }
    // Without presentation timestamps (AVI stores none) frames are counted in decode order: with
    // closed GOPs a keyframe's presentation index equals the number of packets before it. The
    // choice holds for the whole file, so pts and dts never mix in one index.
    countMode = std::any_of(packets.begin(), packets.end(), [](const Packet& p) { return p.pts == AV_NOPTS_VALUE; });
    std::vector<std::pair<int64_t, uint8_t>> entries;
    entries.reserve(packets.size());
    for (const Packet& p : packets) {
      const int64_t t = countMode ? p.dts : p.pts;
      if (t == AV_NOPTS_VALUE) Fail("packet without any timestamp; cannot index frames");
      entries.emplace_back(t, p.key);
    }
    std::sort(entries.begin(), entries.end());
    for (size_t i = 1; i < entries.size(); i++) {
      if (entries[i].first == entries[i - 1].first) Fail("duplicate packet timestamps; cannot index frames exactly");
    }
    idx.pts.clear();
    idx.key.clear();
    for (auto& e : entries) {
      idx.pts.push_back(e.first);
      idx.key.push_back(e.second);
    }
    if (idx.pts.empty()) Fail("no video frames");
    indexed = true;
    IndexCache::Put(path, idx, countMode);
  }

  // Back to the first packet by reopening: seeking to "the start" is unreliable across demuxers.
  void Rewind() { Open(); }

  void SeekToKeyframe(int64_t k) {
    int r = av_seek_frame(fmt, stream, idx.pts[k], AVSEEK_FLAG_BACKWARD);
    if (r < 0) Fail("seek failed (" + AvErr(r) + ")");
    avcodec_flush_buffers(dec);
  }

  int64_t IndexOf(int64_t pts) const {
    auto it = std::lower_bound(idx.pts.begin(), idx.pts.end(), pts);
    if (it == idx.pts.end() || *it != pts) return -1;
    return it - idx.pts.begin();
  }

  void Convert(const AVFrame* f, int h, int w) {
    sws = sws_getCachedContext(sws, f->width, f->height, static_cast<AVPixelFormat>(f->format), w, h, AV_PIX_FMT_RGB24,
                               SWS_AREA, nullptr, nullptr, nullptr);
    if (!sws) Fail("cannot convert pixel format");
    rgb.resize(static_cast<size_t>(h) * w * 3);
    uint8_t* dst[4] = {rgb.data(), nullptr, nullptr, nullptr};
    int stride[4] = {w * 3, 0, 0, 0};
    sws_scale(sws, f->data, f->linesize, 0, f->height, dst, stride);
  }
};

VideoReader::VideoReader(const std::string& path, int decoderThreads) : impl_(new Impl()) {
  impl_->path = path;
  impl_->decoderThreads = std::max(1, decoderThreads);
  impl_->Open();
}

VideoReader::~VideoReader() = default;

const FrameIndex& VideoReader::index() {
  impl_->BuildIndex();
  return impl_->idx;
}

ProbeInfo VideoReader::probe() {
  Impl& m = *impl_;
  if (m.fast) {
    m.fast = false;  // a probe reports analysed stream parameters (frame rate, B-frame delay)
    m.Open();
  }
  ProbeInfo p;
  AVStream* st = m.fmt->streams[m.stream];
  p.container = m.fmt->iformat ? m.fmt->iformat->name : "";
  p.codec = avcodec_get_name(st->codecpar->codec_id);
  p.width = st->codecpar->width;
  p.height = st->codecpar->height;
  AVRational fr = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
  p.fps = fr.den > 0 ? av_q2d(fr) : 0;
  p.frames = static_cast<int64_t>(index().pts.size());
  if (st->duration != AV_NOPTS_VALUE && st->duration > 0) p.duration = st->duration * av_q2d(st->time_base);
  else if (m.fmt->duration != AV_NOPTS_VALUE) p.duration = m.fmt->duration / static_cast<double>(AV_TIME_BASE);
  if (p.duration <= 0 && p.fps > 0) p.duration = p.frames / p.fps;
#if LIBAVFORMAT_VERSION_MAJOR < 61
  const uint8_t* matrix = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, nullptr);
#else
  const AVPacketSideData* sd = av_packet_side_data_get(st->codecpar->coded_side_data, st->codecpar->nb_coded_side_data, AV_PKT_DATA_DISPLAYMATRIX);
  const uint8_t* matrix = sd ? sd->data : nullptr;
#endif
  if (matrix) {
    double rot = -av_display_rotation_get(reinterpret_cast<const int32_t*>(matrix));
    if (std::isfinite(rot)) p.rotation = static_cast<int>(std::lround(rot - 360 * std::floor(rot / 360)));
  }
  return p;
}

void VideoReader::resolveSize(const OutputSize& s, int& h, int& w) const {
  AVCodecParameters* par = impl_->fmt->streams[impl_->stream]->codecpar;
  const int sh = par->height, sw = par->width;
  if (s.height > 0 && s.width > 0) {
    h = s.height;
    w = s.width;
  } else if (s.shortSide > 0) {
    if (sh <= sw) {
      h = s.shortSide;
      w = static_cast<int>(std::lround(static_cast<double>(sw) * s.shortSide / sh));
    } else {
      w = s.shortSide;
      h = static_cast<int>(std::lround(static_cast<double>(sh) * s.shortSide / sw));
    }
  } else {
    h = sh;
    w = sw;
  }
  h = std::max(1, h);
  w = std::max(1, w);
}

// Decoders whose AVDISCARD_NONREF drops only frames that, by the codec's standard, no other frame is
// predicted from: h264 pictures with nal_ref_idc 0 and MPEG-4 Part 2 B-VOPs. Not HEVC, where FFmpeg's
// NONREF also drops sub-layer non-reference pictures that higher temporal sub-layers may reference.
static bool NonRefSkipIsExact(AVCodecID id) { return id == AV_CODEC_ID_H264 || id == AV_CODEC_ID_MPEG4; }

static bool IsKeyframe(const AVFrame* f) {
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(58, 7, 100)
  return (f->flags & AV_FRAME_FLAG_KEY) || f->pict_type == AV_PICTURE_TYPE_I;
#else
  return f->key_frame || f->pict_type == AV_PICTURE_TYPE_I;
#endif
}

void VideoReader::decode(const std::vector<int64_t>& wanted, int h, int w, bool seek,
                         const std::function<void(int64_t, const uint8_t*)>& sink, bool skipNonRef,
                         int64_t* decodedFrames) {
  Impl& m = *impl_;
  m.BuildIndex();
  if (wanted.empty()) return;
  const int64_t n = static_cast<int64_t>(m.idx.pts.size());
  // Counting frames after a seek is exact only when decode order is presentation order (no B-frames).
  const bool reordering = m.fmt->streams[m.stream]->codecpar->video_delay > 0;
  if (m.countMode && reordering) seek = false;
  for (int64_t t : wanted) {
    if (t < 0 || t >= n) m.Fail("frame " + std::to_string(t) + " out of range (" + std::to_string(n) + " frames)");
  }
  auto keyBefore = [&](int64_t t) {
    while (t > 0 && !m.idx.key[t]) t--;
    return t;
  };

  size_t next = 0;        // next wanted position
  int64_t position = -1;  // index of the last frame the decoder produced (-1: just restarted)
  int64_t counter = 0;    // index of the next output frame (count mode and sequential decoding)
  bool expectKey = false;  // after a seek in count mode the first frame must be the keyframe we sought
  int64_t soughtKey = 0;
  bool draining = false;
  const bool byTimestamp = seek && !m.countMode;
  // Unwanted non-reference frames (the B-frames of typical x264 output, about a quarter of all
  // frames for clips at stride 2) need not be decoded: no other frame depends on them. This is exact
  // only where a packet's frame is known before decoding it, i.e. in timestamp mode: a packet's pts
  // is the pts of the frame decoded from it, output frames are identified by pts, and a skipped
  // frame simply never comes out, so no index shifts. Count mode and the sequential (retry) path
  // count frames as they come out and keep decoding everything. skip_frame is set just before each
  // avcodec_send_packet and stays until the decoder has taken that packet (we send only after
  // avcodec_receive_frame reports EAGAIN); with frame threads libavcodec copies it into the worker
  // context along with each submitted packet, so it applies to that packet's frame there too.
  // AV_PKT_FLAG_DISPOSABLE (container metadata) is deliberately not used to withhold packets: a
  // wrong flag would silently corrupt later frames, whereas the decoder checks the bitstream itself.
  const bool skipping = skipNonRef && byTimestamp && NonRefSkipIsExact(m.dec->codec_id);
  std::vector<int64_t> wantedPts;  // ascending, as idx.pts is
  if (skipping) {
    for (int64_t t : wanted) wantedPts.push_back(m.idx.pts[t]);
  }
  int64_t sent = -1;  // highest frame index whose packet went to the decoder since the last restart
  auto restart = [&](int64_t target) {
    if (seek) {
      const int64_t k = keyBefore(target);
      m.SeekToKeyframe(k);
      counter = k;
      expectKey = true;
      soughtKey = k;
    } else {
      m.Rewind();
      counter = 0;
    }
    position = -1;
    sent = -1;
    draining = false;
  };
  restart(wanted[0]);
  int64_t planned = wanted[0];  // the target the current decode run was positioned for

  while (next < wanted.size()) {
    const int64_t target = wanted[next];
    if (seek && target != planned) {
      // Seek when a keyframe lies between here and the target: cheaper than decoding forward.
      // Skipped frames never come out, so `position` can lag behind the decoder; a keyframe whose
      // packet (or a later one) was already sent is then reached sooner by decoding on.
      const int64_t reached = skipping ? std::max(position + 1, sent) : position + 1;
      if (keyBefore(target) > reached) restart(target);
      planned = target;
    }
    int r = avcodec_receive_frame(m.dec, m.frame);
    if (r == AVERROR(EAGAIN)) {
      if (draining) m.Fail("decoder stalled");
      int rr = av_read_frame(m.fmt, m.pkt);
      if (rr == AVERROR_EOF) {
        m.dec->skip_frame = AVDISCARD_DEFAULT;  // the flush must not carry the last packet's setting
        avcodec_send_packet(m.dec, nullptr);
        draining = true;
        continue;
      }
      if (rr < 0) m.Fail("read error (" + AvErr(rr) + ")");
      int sr = 0;
      // Zero-size packets (AVI's dropped-frame chunks) are not frames: the index skips them too.
      if (m.pkt->stream_index == m.stream && m.pkt->size > 0) {
        bool skip = false;
        if (skipping) {
          skip = !std::binary_search(wantedPts.begin(), wantedPts.end(), m.pkt->pts);
          sent = std::max(sent, m.IndexOf(m.pkt->pts));
        }
        m.dec->skip_frame = skip ? AVDISCARD_NONREF : AVDISCARD_DEFAULT;
        sr = avcodec_send_packet(m.dec, m.pkt);
      }
      av_packet_unref(m.pkt);
      if (sr < 0 && sr != AVERROR(EAGAIN)) m.Fail("decoder error (" + AvErr(sr) + ")");
      continue;
    }
    if (r == AVERROR_EOF) m.Fail("frame " + std::to_string(target) + " never decoded (stream ended)");
    if (r < 0) m.Fail("decoder error (" + AvErr(r) + ")");
    if (decodedFrames) ++*decodedFrames;

    int64_t at = counter++;
    if (byTimestamp) {
      const int64_t pts = m.frame->best_effort_timestamp;
      at = pts == AV_NOPTS_VALUE ? -1 : m.IndexOf(pts);
    } else if (seek && ((expectKey && (!IsKeyframe(m.frame) || (m.frame->pkt_dts != AV_NOPTS_VALUE && m.frame->pkt_dts != m.idx.pts[soughtKey]))) ||
                        m.frame->pict_type == AV_PICTURE_TYPE_B)) {
      av_frame_unref(m.frame);
      m.Fail("frames cannot be counted after a seek in this stream");
    }
    expectKey = false;
    const bool corrupt = m.frame->decode_error_flags || (m.frame->flags & AV_FRAME_FLAG_CORRUPT);
    if (at < 0) {
      av_frame_unref(m.frame);
      m.Fail("decoded frame has a timestamp outside the index");
    }
    position = at;
    if (at > target) {
      av_frame_unref(m.frame);
      m.Fail("frame " + std::to_string(target) + " was skipped by the decoder");
    }
    if (at == target) {
      if (corrupt) {
        av_frame_unref(m.frame);
        m.Fail("frame " + std::to_string(target) + " is corrupt");
      }
      m.Convert(m.frame, h, w);
      sink(at, m.rgb.data());
      next++;
    }
    av_frame_unref(m.frame);
  }
}

}  // namespace cvrl::video
