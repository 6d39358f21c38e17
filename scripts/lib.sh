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

# module_up_to_date OUT BUILT: copies the module's sources (Kbuild, src, include,
# consumers) into the build directory OUT; succeeds if none changed and OUT's last
# build was against BUILT (a kernel build or headers, with their time), when
# kbuild would only spend seconds finding nothing to do. Otherwise the stamp is
# removed, so that an interrupted build is not taken for a finished one: call
# `module_built OUT BUILT` once the build succeeded. Content, not times, decides
# what is copied: a copied file is newer than its object, so make rebuilds it,
# whatever the file's own time says.
module_up_to_date() {
	local out=$1 built=$2 changed
	changed=$(rsync -rlpi --checksum --delete --exclude '*.o' --exclude '.*.cmd' --exclude '*.ko' \
		"$XC_REPO/Kbuild" "$XC_REPO/src" "$XC_REPO/include" "$XC_REPO/consumers" "$out/")
	if [ -z "$changed" ] && [ "$(cat "$out/.xc-built" 2>/dev/null)" = "$built" ]; then
		return 0
	fi
	rm -f "$out/.xc-built"
	return 1
}

# module_built OUT BUILT: records that OUT was built against BUILT.
module_built() {
	echo "$2" >"$1/.xc-built"
}
