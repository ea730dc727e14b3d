# Copyright 2026 jtune authors
# Distributed under the terms of the GNU General Public License v2

EAPI=8

inherit git-r3 go-module

DESCRIPTION="Find the make -jN that builds fastest on a distcc farm"
HOMEPAGE="https://github.com/jtune/jtune"
EGIT_REPO_URI="https://github.com/jtune/jtune.git"

# jtune has not chosen a license yet.
LICENSE="all-rights-reserved"
SLOT="0"
# A live ebuild: keyword it yourself (see the README's Gentoo section).
KEYWORDS=""
IUSE="test"
RESTRICT="!test? ( test )"

RDEPEND="
	sys-devel/distcc
	>=dev-build/make-4.3
"
BDEPEND=">=dev-lang/go-1.26"

src_unpack() {
	git-r3_src_unpack
	# Fetches the modules go.sum names into the work directory, so the
	# build itself needs no network (Portage's network sandbox).
	go-module_live_vendor
}

src_compile() {
	# -buildvcs=false: the build information would otherwise name the
	# git checkout in Portage's work directory.
	# git-r3 sets EGIT_VERSION to the commit it checked out.
	ego build -buildvcs=false -trimpath \
		-ldflags "-X main.version=live-${EGIT_VERSION:0:12}" \
		-o jtune ./cmd/jtune
}

src_test() {
	# The real-distcc farm tests need root and network namespaces, which
	# Portage's sandbox does not give: -short skips them.
	ego test -short ./...
}

src_install() {
	dobin jtune
	dodoc README.md
}
