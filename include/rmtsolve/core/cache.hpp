#pragma once
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace rmtsolve {

/// Remembers the last expensive preparation (an eigen-decomposition, a drawn network, loaded
/// files) under a key, so that a sweep over the cheap parameters reuses it.  Thread-safe.
template <class T>
class LastValueCache {
 public:
  std::shared_ptr<const T> get(const std::string& key, const std::function<T()>& make) const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!value_ || key != key_) {
      value_ = std::make_shared<const T>(make());
      key_ = key;
    }
    return value_;
  }

 private:
  mutable std::mutex mutex_;
  mutable std::string key_;
  mutable std::shared_ptr<const T> value_;
};

}  // namespace rmtsolve
