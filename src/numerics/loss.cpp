#include "rmtsolve/numerics/loss.hpp"

#include <algorithm>
#include <cmath>

#include "rmtsolve/core/error.hpp"

namespace rmtsolve {

Loss parse_loss(const std::string& name) {
  if (name == "square") return Loss::kSquare;
  if (name == "logistic") return Loss::kLogistic;
  if (name == "hinge") return Loss::kHinge;
  throw InvalidInput("loss", "must be square, logistic or hinge, got '" + name + "'");
}

const char* to_string(Loss loss) {
  switch (loss) {
    case Loss::kSquare: return "square";
    case Loss::kLogistic: return "logistic";
    case Loss::kHinge: return "hinge";
  }
  return "";
}

double loss_value(Loss loss, double y, double z) {
  switch (loss) {
    case Loss::kSquare: return 0.5 * (y - z) * (y - z);
    case Loss::kLogistic: {
      const double t = -y * z;  // log(1 + e^t) without overflow
      return t > 0 ? t + std::log1p(std::exp(-t)) : std::log1p(std::exp(t));
    }
    case Loss::kHinge: return std::max(0.0, 1.0 - y * z);
  }
  return 0.0;
}

}  // namespace rmtsolve
