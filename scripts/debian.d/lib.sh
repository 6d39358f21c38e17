# Shared helpers for the scripts that build Rust modules for Debian's stock
# kernels (scripts/debian-*). Sourced after scripts/lib.sh, never run.
#
# Per kernel ABI (e.g. 7.2.13+deb14-amd64) everything lives in
# $XC_CACHE/debian/<abi>/:
#   debs/            Debian's packages for that ABI (headers, kbuild, modules, image)
#   versions         what the headers recorded and the exact packages that match
#   root/            the mmdebstrap root with exactly that toolchain and the headers
#   root/build/out   modules_prepare of the matching linux-source (O= tree)
#   overlay/         what the headers lack: rust/ metadata and scripts/target.json
#   selfcheck        the self-check's result (rebuilt in-tree Rust module vs Debian's)
#   suites           the Debian suites the ABI's packages come from
#   .<stage>.done    finished stages; a repeated run skips them

# The Debian suites the stock kernels, their sources and toolchains come from,
# the base suite first: e.g. "trixie trixie-backports" for trixie's backports
# kernels (whose toolchain is trixie's). An ABI prepared before keeps the suites
# it was prepared from ($XC_CACHE/debian/<abi>/suites), see debian_use_abi.
XC_DEBIAN_SUITE=${XC_DEBIAN_SUITE:-sid}
# The Debian kernel the lab boots with --kernel-variant debian (and the tests):
# empty means the newest one the archive can still build modules for, chosen
# by scripts/debian-abi.
XC_DEBIAN_LAB_ABI=${XC_DEBIAN_LAB_ABI:-}
# The kernel series whose Rust API the module's source is written against (see
# README "Kernel series"): only Debian kernels of this series are chosen.
XC_DEBIAN_SERIES=$XC_KERNEL_SERIES
# The in-tree Rust module the self-check rebuilds and compares with Debian's.
XC_DEBIAN_CHECK_MODULE=drivers/net/phy/ax88796b_rust

# debian_abi [ABI]: the ABI asked for, else the running kernel's (if Debian's).
debian_abi() {
	local abi=${1:-}
	if [ -z "$abi" ]; then
		abi=$(uname -r)
		[[ $abi == *+deb* ]] || [ -d "/usr/src/linux-headers-$abi" ] ||
			die "the running kernel $abi is not a Debian kernel: name a Debian kernel ABI, e.g. 7.2.13+deb14-amd64"
	fi
	[[ $abi =~ ^[0-9]+\.[0-9]+(\.[0-9]+)?[-+][A-Za-z0-9.+~-]+$ ]] || die "'$abi' does not look like a Debian kernel ABI (e.g. 7.2.13+deb14-amd64)"
	echo "$abi"
}

# debian_variant_abi VARIANT: the ABI of a lab kernel variant "debian" (the
# lab's default ABI, see scripts/debian-abi) or "debian:ABI"; nothing for any
# other variant.
debian_variant_abi() {
	case $1 in
	debian) "$XC_REPO/scripts/debian-abi" | awk '{ print $1 }' ;;
	debian:*) debian_abi "${1#debian:}" ;;
	esac
}

# debian_use_abi ABI: use the suites ABI was found in (or prepared from) for
# everything that concerns it, whatever XC_DEBIAN_SUITE says.
debian_use_abi() {
	local f
	f=$(debian_dir "$1")/suites
	[ -s "$f" ] && XC_DEBIAN_SUITE=$(cat "$f")
	return 0
}

# debian_dir ABI: the cache directory of ABI.
debian_dir() { echo "$XC_CACHE/debian/$1"; }

# debian_abi_of_kdir DIR: the ABI of a Debian headers directory, or nothing.
debian_abi_of_kdir() {
	local d=${1%/}
	[ -f "$d/.kernelvariables" ] && [[ $(basename "$d") == linux-headers-* ]] || return 1
	basename "$d" | sed 's/^linux-headers-//'
}

# dapt APT-ARGS: apt-get with a private configuration for the Debian suites.
dapt() { "$XC_REPO/scripts/apt-private" $XC_DEBIAN_SUITE -- "$@"; }
# dcache APT-CACHE-ARGS: apt-cache over the same private lists.
dcache() {
	local dir=$XC_CACHE/apt/$(printf '%s_' $XC_DEBIAN_SUITE)
	apt-cache -o Dir::Etc::SourceList="$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache" "$@"
}
# dversions PACKAGE: every version of PACKAGE the suite has, one per line.
dversions() { dcache madison "$1" 2>/dev/null | awk -F'|' '{ gsub(/ /, "", $2); print $2 }'; }

# debian_archive: the Debian archive URI of the host's apt configuration.
debian_archive() {
	local uri
	uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	[ -n "$uri" ] || uri=$(awk '/^deb / { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
	[ -n "$uri" ] || die "cannot find the Debian archive in the host's apt configuration"
	echo "$uri"
}

# inroot ROOT [--bind DIR]... [--ro-bind DIR]... [--cwd DIR] -- COMMAND...: run
# COMMAND chrooted in ROOT, in a private mount namespace (the bind mounts and
# /proc vanish with it), with a clean environment. DIRs appear at the same path.
inroot() {
	local root=$1 binds=() cwd=/
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		case $1 in
		--bind) binds+=("rw:$2"); shift 2 ;;
		--ro-bind) binds+=("ro:$2"); shift 2 ;;
		--cwd) cwd=$2; shift 2 ;;
		*) die "inroot: bad option $1" ;;
		esac
	done
	shift
	unshare --mount --propagation private -- /bin/bash -c '
		set -e
		root=$1 cwd=$2 n=$3; shift 3
		for ((i = 0; i < n; i++)); do
			mode=${1%%:*} dir=${1#*:}; shift
			mkdir -p "$root$dir"
			mount --bind "$dir" "$root$dir"
			[ "$mode" = rw ] || mount -o remount,bind,ro "$root$dir"
		done
		mount -t proc proc "$root/proc"
		cd "$root$cwd"
		exec chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
			PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin /bin/sh -c "cd \"\$1\" && shift && exec \"\$@\"" sh "$cwd" "$@"
	' inroot "$root" "$cwd" "${#binds[@]}" "${binds[@]}" "$@"
}

# debian_kernel_version ABI: the package version of ABI's kernel: the one its
# headers were prepared from, else the newest the archive has.
debian_kernel_version() {
	local d ver
	d=$(debian_dir "$1")
	if [ -f "$d/versions" ]; then
		(. "$d/versions" && echo "$HEADERS_VERSION")
		return
	fi
	dapt update >/dev/null
	ver=$(dversions "linux-headers-$1" | sort -V | tail -n 1)
	[ -n "$ver" ] || die "the archive ($XC_DEBIAN_SUITE) has no kernel $1"
	echo "$ver"
}

# debian_ko_cat FILE: one of Debian's module files (.ko, .ko.xz, .ko.zst or
# .ko.gz, as linux-modules packages ship them), uncompressed, on stdout.
debian_ko_cat() {
	case $1 in
	*.xz) xz -dc "$1" ;;
	*.zst) zstd -qdc "$1" ;;
	*.gz) gzip -dc "$1" ;;
	*) cat "$1" ;;
	esac
}

# debian_download ABI PACKAGE VERSION SIZE: PACKAGE's .deb of VERSION in ABI's
# debs/, downloaded once (SIZE is for the progress line). Prints its path.
debian_download() {
	local d deb
	d=$(debian_dir "$1")/debs
	deb=$(ls "$d/$2_$3_"*.deb 2>/dev/null | head -n 1 || true)
	if [ -z "$deb" ]; then
		stage "debian: downloading $2 $3 ($4)"
		mkdir -p "$d"
		(cd "$d" && dapt download "$2=$3" >/dev/null) || die "cannot download $2 $3"
		deb=$(ls "$d/$2_$3_"*.deb | head -n 1)
	fi
	echo "$deb"
}
