// Opening a video for VideoReader: which paths, protocols and containers are accepted, the deadline
// every FFmpeg call runs under, the decoder, and the exact packet index (bounded in size).
#include "frame_index_cache.h"
#include "video_reader_impl.h"

extern "C" {
#include <libavutil/avstring.h>
}

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <system_error>

namespace cvrl::video {

namespace {

// Demuxers of the containers that datasets use (dataset.ts's VIDEO_EXTENSIONS), by FFmpeg name.
// Set explicitly: FFmpeg builds differ in what their defaults let a playlist or image pattern open.
constexpr const char* kFormats = "mov,mp4,matroska,webm,avi,mpeg,mpegts,flv,ogg,asf,gif";
constexpr const char* kFormatsText = "mp4/mov, mkv/webm, avi, mpeg-ps/ts, flv, ogg, asf/wmv, animated gif";

std::string ErrnoText(int e) { return std::error_code(e, std::generic_category()).message(); }

const char* FileKind(mode_t m) {
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISDIR(m)) return "a directory";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISSOCK(m)) return "a socket";
  return "not a regular file";
}

// FFmpeg's interrupt callback: non-zero makes the blocking call return AVERROR_EXIT.
int Interrupt(void* opaque) { return static_cast<const Deadline*>(opaque)->Passed() ? 1 : 0; }

// The first bytes of a regular file (after a failed open, to explain the failure).
std::string Head(const std::string& path, size_t n) {
  std::string buf(n, '\0');
  const int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return "";
  const ssize_t got = read(fd, buf.data(), n);
  close(fd);
  buf.resize(got > 0 ? static_cast<size_t>(got) : 0);
  return buf;
}

}  // namespace

VideoReader::Impl::~Impl() {
  sws_freeContext(sws);
  av_frame_free(&frame);
  av_packet_free(&pkt);
  avcodec_free_context(&dec);
  if (fmt) avformat_close_input(&fmt);
}

// open(2) on a FIFO blocks before any interrupt callback can run, so the type is checked first.
// Symbolic links are followed wherever they point (documented policy); errors name the target.
void VideoReader::Impl::CheckPath() {
  name = path;
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    char* real = realpath(path.c_str(), nullptr);
    if (!real) {
      const int e = errno;
      std::string target(PATH_MAX, '\0');
      const ssize_t n = readlink(path.c_str(), target.data(), target.size());
      target.resize(n > 0 ? static_cast<size_t>(n) : 0);
      Fail("symbolic link to '" + target + "' cannot be followed (" + ErrnoText(e) + ")");
    }
    name = path + " (-> " + real + ")";
    std::free(real);
  }
  if (stat(path.c_str(), &st) != 0) Fail("cannot open (" + ErrnoText(errno) + ")");
  if (!S_ISREG(st.st_mode)) Fail(std::string("is ") + FileKind(st.st_mode) + ", not a regular file; only video files can be read");
}

void VideoReader::Impl::Open() {
  if (fmt) avformat_close_input(&fmt);
  fmt = avformat_alloc_context();
  if (!fmt) Fail("out of memory");
  fmt->interrupt_callback.callback = &Interrupt;
  fmt->interrupt_callback.opaque = &deadline;
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "protocol_whitelist", "file", 0);
  av_dict_set(&opts, "format_whitelist", kFormats, 0);
  // "file:" keeps a name such as "http:x.mp4" a local path instead of a URL.
  int r = avformat_open_input(&fmt, ("file:" + path).c_str(), nullptr, &opts);
  av_dict_free(&opts);
  if (r < 0) {
    if (r == AVERROR_EXIT || deadline.Passed()) TimedOut("opening");
    const std::string head = Head(path, 4096);
    if (head.rfind("#EXTM3U", 0) == 0) Fail("is a playlist (#EXTM3U), not a video file; only local video files can be read");
    std::vector<uint8_t> buf(head.size() + AVPROBE_PADDING_SIZE, 0);
    std::copy(head.begin(), head.end(), buf.begin());
    AVProbeData pd{path.c_str(), buf.data(), static_cast<int>(head.size()), nullptr};
    const AVInputFormat* guess = head.empty() ? nullptr : av_probe_input_format(&pd, 1);
    if (guess && !av_match_list(guess->name, kFormats, ',')) {
      Fail(std::string("container '") + guess->name + "' is not a video container that can be read (" + kFormatsText + ")");
    }
    Fail("cannot open (" + AvErr(r) + ")");
  }
  // MP4 and Matroska headers carry complete codec parameters; analysing packets (which decodes
  // frames) is only needed for other containers, or when a probe reports frame rates.
  const std::string demuxer = fmt->iformat ? fmt->iformat->name : "";
  const bool selfDescribing = fast && (demuxer.rfind("mov,", 0) == 0 || demuxer.rfind("matroska", 0) == 0);
  stream = selfDescribing ? av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0) : -1;
  if (stream < 0 || fmt->streams[stream]->codecpar->width <= 0) Check(avformat_find_stream_info(fmt, nullptr), "reading stream info");
  stream = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (stream < 0) Fail("no video stream");
  AVCodecParameters* par = fmt->streams[stream]->codecpar;
  if (par->width <= 0 || par->height <= 0) Fail("video stream has no frame size");
  if (static_cast<int64_t>(par->width) * par->height > limits.maxFramePixels) {
    Fail("frame too large: " + std::to_string(par->width) + "x" + std::to_string(par->height) + " is more than " +
         std::to_string(limits.maxFramePixels) + " pixels (maxFramePixels)");
  }
  ReadDisplay();
  if (!pkt) pkt = av_packet_alloc();
  if (!frame) frame = av_frame_alloc();
  if (!pkt || !frame) Fail("out of memory");
  OpenDecoder();
}

void VideoReader::Impl::OpenDecoder() {
  avcodec_free_context(&dec);
  AVCodecParameters* par = fmt->streams[stream]->codecpar;
  const AVCodec* codec = avcodec_find_decoder(par->codec_id);
  if (!codec) Fail(std::string("no decoder for codec ") + avcodec_get_name(par->codec_id));
  dec = avcodec_alloc_context3(codec);
  if (!dec) Fail("out of memory");
  Check(avcodec_parameters_to_context(dec, par), "copying codec parameters");
  dec->thread_count = decoderThreads;
  // Frames whose size changes mid-stream are bounded by the decoder itself.
  dec->max_pixels = limits.maxFramePixels;
  // Report corrupt data as errors instead of concealing it: garbage frames must not pass.
  dec->err_recognition |= AV_EF_EXPLODE;
  Check(avcodec_open2(dec, codec, nullptr), "opening the decoder");
}

void VideoReader::Impl::BuildIndex() {
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
    Check(r, "reading packets to index frames");
    if (deadline.Passed()) TimedOut("reading packets to index frames");
    if (pkt->stream_index == stream && pkt->size > 0) {
      if (static_cast<int64_t>(packets.size()) >= limits.maxFrames) {
        av_packet_unref(pkt);
        Fail("more than " + std::to_string(limits.maxFrames) + " video frames (maxFrames); too long to index");
      }
      packets.push_back({pkt->pts, pkt->dts, static_cast<uint8_t>((pkt->flags & AV_PKT_FLAG_KEY) ? 1 : 0)});
    }
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

void VideoReader::Impl::SeekToKeyframe(int64_t k) {
  Check(av_seek_frame(fmt, stream, idx.pts[k], AVSEEK_FLAG_BACKWARD), "seeking");
  avcodec_flush_buffers(dec);
}

int64_t VideoReader::Impl::IndexOf(int64_t pts) const {
  auto it = std::lower_bound(idx.pts.begin(), idx.pts.end(), pts);
  if (it == idx.pts.end() || *it != pts) return -1;
  return it - idx.pts.begin();
}

}  // namespace cvrl::video
