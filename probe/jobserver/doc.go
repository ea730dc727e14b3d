// Package jobserver is the GNU make jobserver that jtune runs for a build
// it starts, so that it can change the build's parallelism while the build
// runs. A Server is a pool of tokens: GNU make (from 3.78) and ninja (from
// 1.13) take one before starting each job beyond their first and give it
// back when the job ends, so N jobs run on N−1 tokens. The Server pre-loads
// the tokens, gives the client its MAKEFLAGS and, in the pipe forms, the
// descriptors it inherits; SetJobs adds tokens at once and takes them back
// as running jobs return them, never pre-empting one; Drain and Close check,
// after the client has gone, that every token came back. It keeps an exact
// account of tokens and knows nothing else: nothing of tuning, throughput or
// what is being built, and it never signals a process (below one job, the
// caller pauses the build itself, with SIGSTOP).
package jobserver
