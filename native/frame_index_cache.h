// A process-wide cache of frame indices (used by VideoReader only).
#pragma once
#include "video_limits.h"
#include "video_reader.h"

#include <sys/stat.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

namespace cvrl::video {

// Frame indices of recently read files, keyed by path and validated by size and modification time,
// so that every epoch (and both clips of a pair) skips the indexing pass over the file. Bounded by
// bytes (Limits::indexCacheBytes), not only entries: a few very long files must not grow it without end.
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
    const int64_t need = Bytes(path, idx), budget = GetLimits().indexCacheBytes;
    std::lock_guard<std::mutex> lock(mu());
    Erase(map().find(path));
    if (need > budget) return;
    // Evict arbitrary entries until the new one fits (an epoch visits files in a random order anyway).
    while (!map().empty() && (bytes() + need > budget || map().size() >= kMaxEntries)) Erase(map().begin());
    map()[path] = Entry{st.st_size, Mtime(st), idx, countMode};
    bytes() += need;
  }
  // Entries and bytes held now (tests and diagnostics).
  static std::pair<int64_t, int64_t> Stats() {
    std::lock_guard<std::mutex> lock(mu());
    return {static_cast<int64_t>(map().size()), bytes()};
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
  static int64_t Bytes(const std::string& path, const FrameIndex& idx) {
    return static_cast<int64_t>(path.size() + idx.pts.size() * (sizeof(int64_t) + 1) + 128);
  }
  template <typename It>
  static void Erase(It it) {
    if (it == map().end()) return;
    bytes() -= Bytes(it->first, it->second.idx);
    map().erase(it);
  }
  static int64_t& bytes() {
    static int64_t b = 0;
    return b;
  }
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
