# Fluxion recipes. Each one is a script or a plain cargo command, so `just` is optional.

# List the recipes.
default:
    @just --list

# Build the CLI and run the embedded quickstart (extra arguments go to `fluxion quickstart`).
quickstart *ARGS:
    scripts/quickstart {{ARGS}}

# Format check, clippy and the whole test suite; installs NVRTC into .cache/nvrtc for kernel tests.
test:
    scripts/test

# Criterion benches of every crate (device-prefixed names: cpu_*, cuda_*).
bench:
    cargo bench --workspace

# Format check and clippy with warnings as errors.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
