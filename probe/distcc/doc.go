// Package distcc reads what distcc says and knows what follows from a host
// list: it parses DISTCC_HOSTS and hosts files (and finds them the way
// distcc does), holds the one rule of thumb N0 = 2 x cores + 1 and the slot
// sum `distcc -j` prints, classifies the lines distcc and pump write to
// stderr or DISTCC_LOG, reads the binstate files that say where each
// compile ran, and prepares the DISTCC_DIR a build runs with. It parses
// text, files and environments and runs no process; it must not know about
// tuning or the build runner, so that the tuner's callers, the runner and
// the simulator can all depend on it.
package distcc
