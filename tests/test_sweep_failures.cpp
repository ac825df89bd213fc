// A seed whose readout fit does not converge must not cost the sweep its other points: the point
// gets an empty row (status not_converged, or FAIL in validate), the sweep goes on, and the
// command exits 3.  Before, the trainer's runtime_error ended the whole command (exit 2) and the
// finished points were lost -- observed in a 27-minute hinge validation at beta = 2.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <variant>

#include "rmtsolve/core/error.hpp"
#include "rmtsolve/engine/sweep.hpp"
#include "rmtsolve/model/model.hpp"

namespace rmtsolve {
namespace {

// Theory: error = 1/alpha.  Monte Carlo: the same, except that the trainer fails at alpha = 2.
class FlakyTrainerModel : public Model {
 public:
  std::string name() const override { return "flaky"; }
  std::string description() const override { return "test model whose trainer fails at alpha = 2"; }
  std::vector<NumberParameter> numbers() const override { return {{"alpha", "samples per dimension", 1.0}}; }
  std::vector<TextParameter> texts() const override { return {}; }
  std::vector<std::string> outputs() const override { return {"test_error"}; }
  PointResult solve(const Point& pt, const SolverOptions&, std::vector<double>&) const override {
    PointResult r;
    r.values = {1.0 / pt["alpha"]};
    r.summary.converged = true;
    r.summary.reason = Termination::kConverged;
    return r;
  }
  std::vector<std::string> simulated_outputs() const override { return {"test_error"}; }
  std::vector<mc::Estimate> simulate(const Point& pt, const SimulationOptions& o) const override {
    if (std::abs(pt["alpha"] - 2.0) < 1e-12) throw TrainingNotConverged("hinge readout: did not reach its tolerance");
    return {mc::Estimate{1.0 / pt["alpha"], 0.01, o.seeds.seeds}};
  }
};

std::string text_cell(const Table& t, std::size_t row, const std::string& column) {
  for (std::size_t c = 0; c < t.columns.size(); ++c)
    if (t.columns[c] == column) return std::get<std::string>(t.rows[row][c]);
  ADD_FAILURE() << "no column " << column;
  return {};
}

double number_cell(const Table& t, std::size_t row, const std::string& column) {
  for (std::size_t c = 0; c < t.columns.size(); ++c)
    if (t.columns[c] == column) return std::get<double>(t.rows[row][c]);
  ADD_FAILURE() << "no column " << column;
  return 0.0;
}

TEST(SweepFailures, SimulateKeepsEveryPointWhenOneSeedsTrainerFails) {
  FlakyTrainerModel model;
  SweepSpec spec;
  spec.grids["alpha"] = {1.0, 2.0, 4.0};
  SimulationOptions o;
  o.seeds.seeds = 2;
  const SweepOutcome out = run_simulation(model, spec, o);
  ASSERT_EQ(out.table.rows.size(), 3u);
  EXPECT_EQ(out.failed_points, 1);
  EXPECT_EQ(text_cell(out.table, 0, "status"), "ok");
  EXPECT_EQ(text_cell(out.table, 1, "status"), "not_converged");
  EXPECT_EQ(text_cell(out.table, 2, "status"), "ok");
  EXPECT_TRUE(std::isnan(number_cell(out.table, 1, "test_error_mean")));
  EXPECT_NEAR(number_cell(out.table, 2, "test_error_mean"), 0.25, 1e-15);  // the point after it was computed
  ASSERT_EQ(out.notes.size(), 1u);
  EXPECT_NE(out.notes[0].find("no estimate: hinge readout"), std::string::npos) << out.notes[0];
}

TEST(SweepFailures, ValidateFailsOnlyThePointWhoseTrainerFailed) {
  FlakyTrainerModel model;
  SweepSpec spec;
  spec.grids["alpha"] = {1.0, 2.0, 4.0};
  SimulationOptions o;
  o.seeds.seeds = 2;
  const SweepOutcome out = run_validation(model, spec, SolverOptions{}, o, ValidationTolerance{});
  ASSERT_EQ(out.table.rows.size(), 3u);
  EXPECT_EQ(out.failed_points, 1);
  EXPECT_EQ(text_cell(out.table, 0, "verdict"), "PASS");
  EXPECT_EQ(text_cell(out.table, 1, "verdict"), "FAIL");
  EXPECT_EQ(text_cell(out.table, 2, "verdict"), "PASS");
  ASSERT_EQ(out.notes.size(), 1u);
  EXPECT_NE(out.notes[0].find("no Monte Carlo estimate: hinge readout"), std::string::npos) << out.notes[0];
}

}  // namespace
}  // namespace rmtsolve
