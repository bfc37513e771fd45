// FFmpeg error codes as text.
#pragma once
extern "C" {
#include <libavutil/error.h>
}

#include <string>

namespace cvrl::video {

inline std::string AvErr(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(code, buf, sizeof(buf));
  return buf;
}

}  // namespace cvrl::video
