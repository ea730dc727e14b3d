// Package sim simulates distcc farms, so that jtune's searches can be
// tried and scored without a farm or a night of builds: a farm described
// in JSON (Farm, LoadFarm, and SeedFarm, the built-in farm calibrated
// against a real study) or drawn in one of three shapes (RandomFarm,
// Kinds), a discrete-event engine that predicts make -jN on it
// (Farm.Simulate), a tuner.Builder whose builds are simulated (Builder),
// a tuner.LiveBuild whose N moves while it runs (Farm.Live, LiveBuild),
// the benchmark of the tuner's strategies (BenchFarms, Bench,
// WriteBench) whose numbers choose tuner.DefaultStrategy, and the
// benchmark of online tuning against offline (OnlineBenchFarms,
// OnlineBench, WriteOnlineBench). Its tests are
// the tuner's accuracy tests, as gonum keeps optimize/functions beside
// optimize. It uses the tuner as a client would and must not know about
// real builds, probing or the command line.
package sim
