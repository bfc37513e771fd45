// VideoReader's decode loop. Seek targets are computed in the stream's time base from an exact
// packet index, never from float seconds (a float target lands one frame off). Opening and indexing
// are in video_open.cc, probing and pixel conversion in video_display.cc.
#include "video_reader_impl.h"

#include <algorithm>

namespace cvrl::video {

VideoReader::VideoReader(const std::string& path, int decoderThreads, const Deadline& deadline) : impl_(new Impl()) {
  impl_->path = path;
  impl_->deadline = deadline;
  impl_->limits = GetLimits();
  impl_->decoderThreads = std::max(1, decoderThreads);
  impl_->CheckPath();
  impl_->Open();
}

VideoReader::~VideoReader() = default;

const std::string& VideoReader::name() const { return impl_->name; }

const FrameIndex& VideoReader::index() {
  impl_->BuildIndex();
  return impl_->idx;
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
    // Decoding itself can be slow (huge frames); reads between frames check the deadline too.
    if (m.deadline.Passed()) m.TimedOut("decoding");
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
      if (rr < 0) m.Check(rr, "reading");
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
      if (sr != AVERROR(EAGAIN)) m.Check(sr, "decoding");
      continue;
    }
    if (r == AVERROR_EOF) m.Fail("frame " + std::to_string(target) + " never decoded (stream ended)");
    m.Check(r, "decoding");
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
      const uint8_t* rgb = m.Convert(m.frame, h, w);
      sink(at, rgb);
      next++;
    }
    av_frame_unref(m.frame);
  }
}

}  // namespace cvrl::video
