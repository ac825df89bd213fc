// Baselines that run as their own process (numpy scripts) report the time of the measured work
// on stdout; the benchmark takes it as manual time, so interpreter start-up is excluded.
#pragma once
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>

inline void run_timed_script(benchmark::State& state, const std::string& command, const char* what) {
  for (auto _ : state) {
    FILE* pipe = popen(command.c_str(), "r");
    double seconds = -1.0;
    if (!pipe || std::fscanf(pipe, "%lf", &seconds) != 1 || pclose(pipe) != 0 || seconds < 0) {
      state.SkipWithError((std::string(what) + " failed (is python3-numpy installed?)").c_str());
      break;
    }
    state.SetIterationTime(seconds);
  }
}
