#!/usr/bin/env bash
# Installs the jobserver clients that Debian 12 lacks, for the tests of
# probe/jobserver: GNU make 4.4.1 as $PREFIX/bin/make-4.4 (the fifo form)
# and ninja 1.13 or later as $PREFIX/bin/ninja (a jobserver client at all).
#
# Debian's binary packages of both need glibc 2.38, so they are built from
# Debian's source packages: make-dfsg from trixie, ninja-build from sid,
# fetched through a second apt source list with state directories of its
# own, which leaves the machine's apt setup as it was (the steps of
# jobserver-facts.md). A tool already installed at a right version is
# skipped, so running it again does nothing. Building needs root only for
# apt-get and for a PREFIX root owns.
#
# PREFIX defaults to /usr/local; the build happens in a temporary
# directory that is removed at the end.
set -euo pipefail

PREFIX=${PREFIX:-/usr/local}
say() { echo "newer-tools: $*" >&2; }

# make_ok and ninja_ok report whether a program is the right tool. They
# capture the whole output first: with pipefail, "make --version | head"
# fails when head closes the pipe early.
make_ok() {
  local v
  v=$("$1" --version 2>/dev/null) || return 1
  [[ ${v%%$'\n'*} =~ ^GNU\ Make\ 4\.4(\.[0-9]+)?$ ]]
}
ninja_ok() {
  local v
  v=$("$1" --version 2>/dev/null) || return 1
  dpkg --compare-versions "${v%%$'\n'*}" ge 1.13
}

todo=()
if make_ok "$PREFIX/bin/make-4.4"; then
  say "$PREFIX/bin/make-4.4 is already $("$PREFIX/bin/make-4.4" --version | sed q)"
else
  todo+=(make)
fi
if ninja_ok "$PREFIX/bin/ninja"; then
  say "$PREFIX/bin/ninja is already ninja $("$PREFIX/bin/ninja" --version)"
else
  todo+=(ninja)
fi
((${#todo[@]})) || exit 0

if [[ $(id -u) != 0 ]]; then
  say "building ${todo[*]} needs root (apt-get)"
  exit 1
fi

need=()
for pkg in dpkg-dev xz-utils g++ python3; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if ((${#need[@]})); then
  say "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

work=$(mktemp -d /tmp/jtune-newer-tools.XXXXXX)
trap 'rm -rf "$work"' EXIT

# sources prints a deb-src list for suite, from the first stanza (the main
# archive) of the machine's own list.
sources() {
  local suite=$1 deb822=/etc/apt/sources.list.d/debian.sources uri
  if [[ -f $deb822 ]]; then
    sed -e 's/^Types:.*/Types: deb-src/' -e "s/^Suites:.*/Suites: $suite/" "$deb822" | awk '/^$/{exit} {print}'
  else
    uri=$(grep -hoE '^deb +(\[[^]]*\] +)?https?://[^ ]+' /etc/apt/sources.list | head -n1 | grep -oE 'https?://[^ ]+')
    printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n' \
      "$uri" "$suite" /usr/share/keyrings/debian-archive-keyring.gpg
  fi
}

# fetch downloads the source package pkg of suite into $work/suite.
fetch() {
  local suite=$1 pkg=$2 dir=$work/$1
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
  # apt reads a list in deb822 form only from a file named *.sources.
  sources "$suite" >"$dir/$suite.sources"
  local apt=(-o "Dir::Etc::SourceList=$dir/$suite.sources" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache" -o APT::Sandbox::User=root)
  say "fetching $pkg from $suite"
  apt-get "${apt[@]}" update -qq
  (cd "$dir" && apt-get "${apt[@]}" source --download-only -qq "$pkg")
}

build_make() {
  fetch trixie make-dfsg
  cd "$work/trixie"
  tar xf make-dfsg_*.orig.tar.xz
  cd make-*/
  # The DFSG tarball leaves out doc/, which configure expects.
  mkdir -p doc && touch doc/Makefile.in
  say "building $(basename "$PWD")"
  ./configure --disable-nls >/dev/null
  sh build.sh >/dev/null # make's own bootstrap: no make needed
  make_ok ./make || { say "built $(./make --version | sed q), not make 4.4"; exit 1; }
  install -D -m 0755 make "$PREFIX/bin/make-4.4"
  say "installed $PREFIX/bin/make-4.4: $("$PREFIX/bin/make-4.4" --version | sed q)"
}

build_ninja() {
  fetch sid ninja-build
  cd "$work/sid"
  tar xzf ninja-build_*.orig.tar.gz
  cd ninja-*/
  say "building $(basename "$PWD")"
  python3 configure.py --bootstrap >/dev/null
  ninja_ok ./ninja || { say "built ninja $(./ninja --version), older than 1.13"; exit 1; }
  install -D -m 0755 ninja "$PREFIX/bin/ninja"
  say "installed $PREFIX/bin/ninja: ninja $("$PREFIX/bin/ninja" --version)"
}

for tool in "${todo[@]}"; do
  "build_$tool"
done
