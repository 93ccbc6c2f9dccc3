#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the build tree into a scratch prefix and checks it as an
# application would use it. consumer.c runs two transports over loopback
# and exits 0 only when a message crossed; it is built and run:
#   (a) with the README's line: cc app.c $(pkg-config --cflags --libs rafthttp)
#   (b) with CMake: find_package(rafthttp), rafthttp::rafthttp (the shared
#       library, or the static one when built with BUILD_SHARED_LIBS=OFF)
#   (c) statically: rafthttp::rafthttp_static, and pkg-config --static
#       against a copy of the prefix without the shared library
# and (d) the installed files are checked: what is installed, the SONAME,
# the archive's and the shared library's exported symbols (rafthttp_* only),
# and (in CMakeLists.txt here) that find_package(rafthttp) leaves the
# consumer's CURL_FOUND, OPENSSL_FOUND, ... alone.
# usage: check-install.sh BUILD_DIR SCRATCH_DIR [rafthttp_shared|rafthttp_static]
#   the last: what rafthttp::rafthttp is in BUILD_DIR (default the shared)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$1
scratch=$2
default_lib=${3:-rafthttp_shared}
rm -rf "$scratch"
mkdir -p "$scratch"
prefix=$scratch/prefix
app=$here/consumer.c

fail() {
  echo "check-install: $*" >&2
  exit 1
}
step() { echo "== $*"; }
# needed FILE: the libraries FILE names in DT_NEEDED.
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
# exports KIND FILE: the global symbols FILE defines (nm -g or nm -D).
exports() {
  nm "$1" --defined-only "$2" | awk 'NF == 3 { print $3 }' | sort -u
}

step "cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
so=$(find "$prefix" -name 'librafthttp.so.*.*.*')
[ -n "$so" ] || fail "no librafthttp.so.X.Y.Z installed"
libdir=$(dirname "$so")

step "(d) installed files"
for f in "$libdir/librafthttp.so" "$libdir/librafthttp.a" \
  "$libdir/pkgconfig/rafthttp.pc" "$libdir/cmake/rafthttp/rafthttpConfig.cmake" \
  "$libdir/cmake/rafthttp/rafthttpConfigVersion.cmake" \
  "$prefix/include/rafthttp.h" "$prefix/include/rafthttp/version.h" \
  "$prefix/share/doc/rafthttp/LICENSE" "$prefix/share/doc/rafthttp/NOTICE"; do
  [ -e "$f" ] || fail "not installed: ${f#"$prefix"/}"
done
soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = librafthttp.so.0 ] || fail "SONAME is '$soname', not librafthttp.so.0"
if [ "$(readlink "$libdir/librafthttp.so")" != "$soname" ] ||
  [ "$(readlink "$libdir/$soname")" != "${so##*/}" ]; then
  fail "librafthttp.so -> $soname -> ${so##*/} broken"
fi
echo "librafthttp.so -> $soname -> ${so##*/}, librafthttp.a"

step "(d) exported symbols: nm -g librafthttp.a, nm -D librafthttp.so"
exports -g "$libdir/librafthttp.a" >"$scratch/static.syms"
exports -D "$so" >"$scratch/shared.syms"
if grep -v '^rafthttp_' "$scratch/static.syms"; then
  fail "librafthttp.a exports the symbols above (only rafthttp_* may be)"
fi
if grep -v '^rafthttp_' "$scratch/shared.syms"; then
  fail "librafthttp.so exports the symbols above (only rafthttp_* may be)"
fi
[ -s "$scratch/static.syms" ] || fail "librafthttp.a exports nothing"
diff "$scratch/static.syms" "$scratch/shared.syms" ||
  fail "librafthttp.a and librafthttp.so export different symbols"
echo "both export the same $(wc -l <"$scratch/static.syms") rafthttp_* symbols, nothing else"

export PKG_CONFIG_PATH=$libdir/pkgconfig
step "(a) cc app.c \$(pkg-config --cflags --libs rafthttp)"
(
  cd "$scratch"
  cp "$app" app.c
  echo "pkg-config --cflags --libs rafthttp: $(pkg-config --cflags --libs rafthttp)"
  # shellcheck disable=SC2046 # word splitting is the point
  cc app.c $(pkg-config --cflags --libs rafthttp)
)
needed "$scratch/a.out" | grep -x librafthttp.so.0 >/dev/null ||
  fail "a.out does not need librafthttp.so.0"
LD_LIBRARY_PATH=$libdir ldd "$scratch/a.out" |
  grep "librafthttp.so.0 => $libdir/librafthttp.so.0 " >/dev/null ||
  fail "a.out does not load $libdir/librafthttp.so.0"
LD_LIBRARY_PATH=$libdir "$scratch/a.out"

step "(b, c) CMake: find_package(rafthttp), rafthttp::rafthttp and rafthttp::rafthttp_static"
cmake -S "$here" -B "$scratch/cmake" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$scratch/cmake" >/dev/null
if [ "$default_lib" = rafthttp_shared ]; then
  needed "$scratch/cmake/consumer" | grep -x librafthttp.so.0 >/dev/null ||
    fail "rafthttp::rafthttp is not the shared library"
elif needed "$scratch/cmake/consumer" | grep librafthttp; then
  fail "rafthttp::rafthttp is not the static library"
fi
env -u LD_LIBRARY_PATH "$scratch/cmake/consumer" # CMake's build RPATH
if needed "$scratch/cmake/consumer_static" | grep librafthttp; then
  fail "consumer_static needs the shared library"
fi
env -u LD_LIBRARY_PATH "$scratch/cmake/consumer_static"

# A copy of the prefix without the shared library, as a static-only
# install: also shows that the .pc finds its prefix from where it lies.
cp -a "$prefix" "$scratch/static-prefix"
slibdir=$scratch/static-prefix/${libdir#"$prefix"/}
rm "$slibdir"/librafthttp.so*
export PKG_CONFIG_PATH=$slibdir/pkgconfig
cd "$scratch"

step "(c) pkg-config --static --libs rafthttp"
static_libs=$(pkg-config --static --libs rafthttp)
echo "$static_libs"
for l in -lrafthttp -pthread -lm -lcurl -lmicrohttpd -lprotobuf-c -lgnutls \
  -lssl -lcrypto; do
  [[ " $static_libs " == *" $l "* ]] || fail "pkg-config --static --libs rafthttp lacks $l"
done

step "(c) the archive, its dependencies shared (the README's static line)"
# shellcheck disable=SC2046
cc -o app-static app.c $(pkg-config --cflags rafthttp) \
  "$(pkg-config --variable=libdir rafthttp)/librafthttp.a" \
  $(pkg-config --libs libcurl libmicrohttpd libprotobuf-c gnutls openssl) \
  -pthread -lm
if needed app-static | grep librafthttp; then
  fail "app-static needs the shared library"
fi
env -u LD_LIBRARY_PATH ./app-static

step "(c) cc app.c \$(pkg-config --static --cflags --libs rafthttp)"
# Links only where the dependencies' own Libs.private (libcurl.pc names
# nghttp2, ssh2, ldap, ...) are installed: Debian's -dev packages of
# libcurl and gnutls do not pull them in.
missing=()
for l in $static_libs; do
  case $l in
  -lrafthttp) ;;
  -l*)
    name=${l#-l}
    if [ "$(cc -print-file-name="lib$name.so")" = "lib$name.so" ] &&
      [ "$(cc -print-file-name="lib$name.a")" = "lib$name.a" ]; then
      missing+=("$l")
    fi
    ;;
  esac
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "not linked: the dependencies name libraries not installed here:" \
    "$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')"
else
  # shellcheck disable=SC2046
  cc -o app-pc-static app.c $(pkg-config --static --cflags --libs rafthttp)
  if needed app-pc-static | grep librafthttp; then
    fail "app-pc-static needs the shared library"
  fi
  env -u LD_LIBRARY_PATH ./app-pc-static
fi
echo "check-install: ok"
