// A process-wide cache of frame indices (used by VideoReader only).
#pragma once
#include "video_reader.h"

#include <sys/stat.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace cvrl::video {

// Frame indices of recently read files, keyed by path and validated by size and modification time,
// so that every epoch (and both clips of a pair) skips the indexing pass over the file.
class IndexCache {
 public:
  static bool Get(const std::string& path, FrameIndex& idx, bool& countMode) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) return false;
    std::lock_guard<std::mutex> lock(mu());
    auto it = map().find(path);
    if (it == map().end() || it->second.size != st.st_size || it->second.mtime != Mtime(st)) return false;
    idx = it->second.idx;
    countMode = it->second.countMode;
    return true;
  }
  static void Put(const std::string& path, const FrameIndex& idx, bool countMode) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) return;
    std::lock_guard<std::mutex> lock(mu());
    if (map().size() >= kMaxEntries) map().clear();
    map()[path] = Entry{st.st_size, Mtime(st), idx, countMode};
  }

 private:
  static constexpr size_t kMaxEntries = 20000;
  struct Entry {
    off_t size;
    int64_t mtime;
    FrameIndex idx;
    bool countMode;
  };
  static int64_t Mtime(const struct stat& st) { return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec; }
  static std::mutex& mu() {
    static std::mutex m;
    return m;
  }
  static std::unordered_map<std::string, Entry>& map() {
    static std::unordered_map<std::string, Entry> m;
    return m;
  }
};

}  // namespace cvrl::video
