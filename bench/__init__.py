"""Benchmarks: a data generator, the page timer and the load run. See bench/README.md."""
