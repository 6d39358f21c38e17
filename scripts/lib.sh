# Shared helpers for the xen-channel scripts: cache location and stage timing.
# Sourced, never run.

XC_CACHE=${XEN_CHANNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xen-channel}
XC_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
XC_RUST_VERSION=1.95.0
XC_BINDGEN_VERSION=0.72.1
XC_LLVM=-19
XC_KERNEL_SERIES=7.2
# The project's version, the base of its package versions (scripts/debian-package).
XC_VERSION=0.1.0
export XC_CACHE XC_REPO

mkdir -p "$XC_CACHE"

# The rustup toolchain that builds both the kernel and the module.
xc_rust_path() {
	local bin
	bin=$(rustup which --toolchain "$XC_RUST_VERSION" rustc 2>/dev/null) || return 1
	echo "$(dirname "$bin"):$HOME/.cargo/bin:$XC_CACHE/bindgen/bin:$PATH"
}

_xc_t0=$(date +%s)
# stage NAME: announce a long step with the elapsed time of the whole script.
stage() {
	printf '[%4ds] == %s\n' $(( $(date +%s) - _xc_t0 )) "$*" >&2
}
# info TEXT: a detail of the current step (skipped, done, found).
info() {
	printf '[%4ds]    %s\n' $(( $(date +%s) - _xc_t0 )) "$*" >&2
}
die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}
