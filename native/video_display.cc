// Frames as players show them: the display matrix's rotation (as the ffmpeg CLI applies it by
// default) and the sample aspect ratio; probe(), the output size of a request, RGB conversion.
#include "video_reader_impl.h"
#include "simd_clones.h"

extern "C" {
#include <libavutil/display.h>
}

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>

namespace cvrl::video {

namespace {

const uint8_t* DisplayMatrix(const AVStream* st) {
#if LIBAVFORMAT_VERSION_MAJOR < 61
  return av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, nullptr);
#else
  const AVPacketSideData* sd = av_packet_side_data_get(st->codecpar->coded_side_data, st->codecpar->nb_coded_side_data, AV_PKT_DATA_DISPLAYMATRIX);
  return sd ? sd->data : nullptr;
#endif
}

// Clockwise display rotation in degrees, in [0, 360): the ffmpeg CLI's get_rotation().
double Rotation(const AVStream* st) {
  const uint8_t* m = DisplayMatrix(st);
  if (!m) return 0;
  double theta = -std::round(av_display_rotation_get(reinterpret_cast<const int32_t*>(m)));
  if (!std::isfinite(theta)) return 0;
  return theta - 360 * std::floor(theta / 360 + 0.9 / 360);
}

// Copies an RGB24 h x w image rotated clockwise by `deg` (90, 180, 270) from its stored form.
void Rotate(const uint8_t* src, int sh, int sw, int deg, uint8_t* dst) {
  const int h = deg == 180 ? sh : sw, w = deg == 180 ? sw : sh;
  for (int y = 0; y < h; y++) {
    uint8_t* out = dst + static_cast<size_t>(y) * w * 3;
    for (int x = 0; x < w; x++) {
      // 90: transpose=clock (the bottom-left pixel goes to the top-left); 270: transpose=cclock.
      const int sy = deg == 90 ? sh - 1 - x : deg == 270 ? x : sh - 1 - y;
      const int sx = deg == 90 ? y : deg == 270 ? sw - 1 - y : sw - 1 - x;
      std::memcpy(out + x * 3, src + (static_cast<size_t>(sy) * sw + sx) * 3, 3);
    }
  }
}

std::string Ratio(double r) {
  std::ostringstream s;
  s.precision(4);
  s << r;
  return s.str();
}

}  // namespace

void VideoReader::Impl::ReadDisplay() {
  AVStream* st = fmt->streams[stream];
  const double theta = Rotation(st);
  // Only quarter turns are applied (the CLI would also rotate by odd angles, with black corners).
  rotation = 0;
  for (int q : {90, 180, 270}) {
    if (std::fabs(theta - q) < 1.0) rotation = q;
  }
  const AVRational s = av_guess_sample_aspect_ratio(fmt, st, nullptr);
  sar = s.num > 0 && s.den > 0 ? s : AVRational{1, 1};
  // Players stretch the width by the sample aspect ratio (ffmpeg's scale=iw*sar:ih).
  const double w = st->codecpar->width * av_q2d(sar), h = st->codecpar->height;
  if (!(w >= 0.5) || w * h > static_cast<double>(limits.maxFramePixels)) {
    Fail("frame too large: " + std::to_string(st->codecpar->width) + "x" + std::to_string(st->codecpar->height) +
         " with sample aspect ratio " + std::to_string(sar.num) + ":" + std::to_string(sar.den) + " is displayed at more than " +
         std::to_string(limits.maxFramePixels) + " pixels (maxFramePixels)");
  }
  displayW = static_cast<int>(std::lround(w));
  displayH = static_cast<int>(h);
  if (rotation == 90 || rotation == 270) std::swap(displayW, displayH);
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
  p.width = m.displayW;
  p.height = m.displayH;
  p.storedWidth = st->codecpar->width;
  p.storedHeight = st->codecpar->height;
  p.sampleAspectRatio = av_q2d(m.sar);
  AVRational fr = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
  p.fps = fr.den > 0 ? av_q2d(fr) : 0;
  p.frames = static_cast<int64_t>(index().pts.size());
  if (st->duration != AV_NOPTS_VALUE && st->duration > 0) p.duration = st->duration * av_q2d(st->time_base);
  else if (m.fmt->duration != AV_NOPTS_VALUE) p.duration = m.fmt->duration / static_cast<double>(AV_TIME_BASE);
  if (p.duration <= 0 && p.fps > 0) p.duration = p.frames / p.fps;
  p.rotation = static_cast<int>(std::lround(Rotation(st))) % 360;
  return p;
}

void VideoReader::resolveSize(const OutputSize& s, int& h, int& w) const {
  const Impl& m = *impl_;
  const int sh = m.displayH, sw = m.displayW;
  if (s.height > 0 && s.width > 0) {
    h = s.height;
    w = s.width;
  } else if (s.shortSide > 0) {
    // The long side follows the aspect ratio: a 16384x8 frame at short side 128 would be 262144 wide.
    const double aspect = static_cast<double>(std::max(sh, sw)) / std::min(sh, sw);
    if (aspect > m.limits.maxAspectRatio) {
      m.Fail("frame too large for its short side: aspect ratio " + Ratio(aspect) + ":1 (" + std::to_string(sw) + "x" +
             std::to_string(sh) + " as displayed) is beyond " + Ratio(m.limits.maxAspectRatio) + ":1 (maxAspectRatio)");
    }
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

// Bytes past an image or plane that swscale may write (64 pixels of 3 bytes and a cache line).
constexpr size_t kSwsOvershoot = 64 * 3 + 64;

// Planar G, B, R rows (swscale's GBRP) -> packed RGB24.
CVRL_WIDE static void InterleaveRow(const uint8_t* __restrict g, const uint8_t* __restrict b, const uint8_t* __restrict r, int w,
                             uint8_t* __restrict out) {
  for (int x = 0; x < w; x++) {
    out[3 * x] = r[x];
    out[3 * x + 1] = g[x];
    out[3 * x + 2] = b[x];
  }
}

const uint8_t* VideoReader::Impl::Convert(const AVFrame* f, int h, int w) {
  // Scale in the stored orientation (to the transposed size for quarter turns), then rotate.
  const bool turn = rotation == 90 || rotation == 270;
  const int th = turn ? w : h, tw = turn ? h : w;
  const size_t pixels = static_cast<size_t>(th) * tw;
  const bool scaled = tw != f->width || th != f->height;
  // At the stored size: the CLI's default (bicubic) conversion, exactly as `ffmpeg -pix_fmt rgb24`.
  // Scaled: area averaging, sharper and faster when shrinking. To an odd width swscale's packed
  // RGB24 output interpolates chroma to every pixel in C; its planar RGB output does the same
  // faster (bench/NOTES.md), to the same pixels when shrinking both sides (within one level on a
  // few rounding ties), so that case is converted planar and interleaved here.
  const bool planar = tw % 2 == 1 && tw < f->width && th < f->height;
  sws = sws_getCachedContext(sws, f->width, f->height, static_cast<AVPixelFormat>(f->format), tw, th,
                             planar ? AV_PIX_FMT_GBRP : AV_PIX_FMT_RGB24, scaled ? SWS_AREA : SWS_BICUBIC, nullptr, nullptr, nullptr);
  if (!sws) Fail("cannot convert pixel format " + std::to_string(f->format) + " to RGB");
  // swscale's SIMD converters write whole vectors: on a row whose width is not a multiple of their
  // block they run past its end, into the next row (rewritten after) or, on the last row, past the
  // buffer; so planes are kSwsOvershoot apart, a plane's last row must not reach the next one.
  const int planeStride = (tw + 63) & ~63;
  const size_t planeBytes = static_cast<size_t>(planeStride) * th + kSwsOvershoot;
  uint8_t* dst[4] = {nullptr, nullptr, nullptr, nullptr};
  int stride[4] = {tw * 3, 0, 0, 0};
  if (planar) {
    planes.resize(3 * planeBytes);
    for (int p = 0; p < 3; p++) {
      dst[p] = planes.data() + p * planeBytes;
      stride[p] = planeStride;
    }
  } else {
    rgb.resize(pixels * 3 + kSwsOvershoot);
    dst[0] = rgb.data();
  }
  const int lines = sws_scale(sws, f->data, f->linesize, 0, f->height, dst, stride);
  if (lines != th) Fail("pixel conversion failed (" + (lines < 0 ? AvErr(lines) : std::to_string(lines) + " of " + std::to_string(th) + " lines") + ")");
  if (planar) {
    rgb.resize(pixels * 3);
    for (int y = 0; y < th; y++) {
      const size_t at = static_cast<size_t>(y) * planeStride;
      InterleaveRow(dst[0] + at, dst[1] + at, dst[2] + at, tw, rgb.data() + static_cast<size_t>(y) * tw * 3);
    }
  }
  if (rotation == 0) return rgb.data();
  rotated.resize(rgb.size());
  Rotate(rgb.data(), th, tw, rotation, rotated.data());
  return rotated.data();
}

}  // namespace cvrl::video
