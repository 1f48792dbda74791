// Package bench holds nodeplug's speed and memory benchmarks (run by
// scripts/bench.sh, `make bench`): the bare go-plugin pair that is the floor
// of the design (bareplugin, cmd/bare-host, cmd/bare-plugin), the timeit
// measuring tool (cmd/timeit) and the bench workflows (testdata). It has no
// code of its own; its test checks the bench workflows. See README.md.
package bench
