#pragma once
// The dRF ridge notebook's setting, shared by the benchmarks that time it: two tanh layers of
// width 4d, a sign random-features teacher of width 2d, λ = 1e-3, drawn weights at input size d.
#include "equations/deep_rf/deep_rf.hpp"
#include "rmtsolve/numerics/activation.hpp"

inline rmtsolve::deep_rf::Spec drf_notebook_spec(int d) {
  rmtsolve::deep_rf::Spec spec;
  spec.layers = rmtsolve::deep_rf::parse_layers("4,4", "tanh", "gaussian");
  spec.target = rmtsolve::make_activation("sign");
  spec.teacher_width = 2.0;
  spec.lambda = 1e-3;
  spec.method = rmtsolve::deep_rf::Method::kDrawn;
  spec.d = d;
  return spec;
}
