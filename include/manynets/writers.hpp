// A sweep's files: runs.csv (one row per network), summary.json, curves.csv,
// and the PNG plots drawn from them by scripts/plot_sweep.py. Every file is
// written to a temporary name in its directory and renamed once complete.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "manynets/number_text.hpp"
#include "manynets/summary.hpp"
#include "manynets/sweep.hpp"

namespace manynets {

// runs.csv: id, shape, every hyperparameter, seed, replicate, status, steps,
// steps_to_target (empty unless converged), loss, abs_error, then the final
// parameters by name (the union over the plan's shapes; empty where a shape has
// none). Returns the bytes written. Throws a runtime Error when it cannot write.
std::size_t write_runs_csv(const std::string& path, const SweepPlan& plan, const SweepResults& results);
// curves.csv: id,step,loss,abs_error for every recorded step of every kept curve.
std::size_t write_curves_csv(const std::string& path, const SweepResults& results);
// One network's curve as CSV: step,loss,abs_error for every recorded step up to the
// step it stopped at (`manynets train --curve`). Returns the bytes written.
std::size_t write_curve_csv(const std::string& path, const Results& results, std::size_t i = 0);
// Throws an invalid_input Error naming `option` when no file can be written at
// `path` (a directory, a missing or read-only directory), so that a command can
// refuse the path before it trains.
void check_output_file(const std::string& path, const std::string& option);
// summary.json: summary_json(summary). Any bytes, written to a temporary name,
// synced and renamed over `path`; throws a runtime Error when it cannot write.
void write_text_file(const std::string& path, const std::string& text);
// Syncs a directory, so that renames into it survive a crash of the machine.
void sync_directory(const std::string& dir);
// Removes the temporaries that killed writers left in `dir` (runs.csv.tmp-PID and
// the like, whose process PID is gone); returns how many.
std::size_t remove_stale_temporaries(const std::string& dir);

// Writes runs.csv, summary.json and curves.csv into `dir` (created if missing);
// returns their paths.
std::vector<std::string> write_sweep_files(const std::string& dir, const SweepPlan& plan,
                                           const SweepResults& results, const SweepSummary& summary);

// Draws the PNG plots of `dir` with `python` running `script`. Never throws:
// `ok` says whether it worked, `message` what to do otherwise, `files` what it wrote.
struct PlotOutcome {
  bool ok = false;
  std::string message;
  std::vector<std::string> files;
};
PlotOutcome make_plots(const std::string& dir, const std::string& python, const std::string& script);
// Draws one network's curve (a write_curve_csv file) into `png`: the abs error of
// every recorded step as a scatter, like the seed program's figure, and the loss
// on a log scale beside it. Never throws, as make_plots.
PlotOutcome plot_curve(const std::string& curve_csv, const std::string& png, const std::string& title,
                       const std::string& python, const std::string& script);
// The python and script make_plots uses by default: $MANYNETS_PYTHON or
// /usr/bin/python3 (Debian's, which has python3-matplotlib), and
// $MANYNETS_PLOT_SCRIPT or the scripts/plot_sweep.py of this source tree.
std::string default_plot_python();
std::string default_plot_script();


}  // namespace manynets
