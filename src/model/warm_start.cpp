#include "rmtsolve/model/warm_start.hpp"

#include <algorithm>

namespace rmtsolve {

Eigen::VectorXd extrapolated_start(const std::vector<double>& warm, Eigen::Index state_size, const std::vector<double>& numbers,
                                   const std::function<bool(const Eigen::VectorXd&)>& admissible) {
  const size_t state = static_cast<size_t>(state_size), block = state + numbers.size();
  const size_t count = block == 0 ? 0 : warm.size() / block;
  if (count == 0 || warm.size() % block != 0) return {};
  auto x_of = [&](size_t b) { return Eigen::Map<const Eigen::VectorXd>(warm.data() + b * block, state_size); };
  auto t_of = [&](size_t b, size_t j) { return warm[b * block + state + j]; };
  const Eigen::VectorXd previous = x_of(0);
  // The one number that differs from the newest remembered point, and the points that differ from
  // this one in that number only, at distinct values.
  size_t moved = numbers.size();
  for (size_t j = 0; j < numbers.size(); ++j)
    if (t_of(0, j) != numbers[j]) {
      if (moved != numbers.size()) return previous;
      moved = j;
    }
  if (moved == numbers.size()) return previous;
  std::vector<size_t> used;
  for (size_t b = 0; b < count; ++b) {
    bool same_line = true;
    for (size_t j = 0; j < numbers.size(); ++j)
      if (j != moved && t_of(b, j) != numbers[j]) same_line = false;
    for (size_t u : used) same_line = same_line && t_of(u, moved) != t_of(b, moved);
    if (!same_line) break;
    used.push_back(b);
  }
  if (used.size() < 2) return previous;
  const double t = numbers[moved], t0 = t_of(0, moved), t1 = t_of(1, moved);
  const double ratio = (t - t0) / (t0 - t1);
  if (!(ratio > 0.0 && ratio <= 2.0)) return previous;  // only forward along an evenly spaced sweep
  Eigen::VectorXd guess = Eigen::VectorXd::Zero(state_size);
  for (size_t a : used) {
    double lagrange = 1.0;
    for (size_t b : used)
      if (b != a) lagrange *= (t - t_of(b, moved)) / (t_of(a, moved) - t_of(b, moved));
    guess += lagrange * x_of(a);
  }
  return admissible(guess) ? guess : previous;
}

void remember_state(std::vector<double>& warm, Eigen::Index state_size, const std::vector<double>& numbers,
                    const Eigen::VectorXd& x, size_t remembered) {
  if (x.size() != state_size || remembered == 0) {
    warm.clear();
    return;
  }
  const size_t block = static_cast<size_t>(state_size) + numbers.size();
  std::vector<double> next(x.data(), x.data() + x.size());
  next.insert(next.end(), numbers.begin(), numbers.end());
  if (warm.size() % block == 0)
    next.insert(next.end(), warm.begin(),
                warm.begin() + static_cast<std::ptrdiff_t>(std::min(warm.size(), (remembered - 1) * block)));
  warm = std::move(next);
}

}  // namespace rmtsolve
