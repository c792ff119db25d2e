#!/bin/sh
# The demo container's image, made on the node once: no registry is reachable
# from the lab. A root file system with the node's static busybox and a page,
# imported into Podman's storage (which outlives the node's root).
set -eu
image=localhost/softfleet-demo-web:1
podman image exists "$image" && exit 0
dir=$(mktemp -d)
trap 'rm -rf "$dir" "$dir.tar"' EXIT
mkdir -p "$dir/bin" "$dir/www"
cp /bin/busybox "$dir/bin/busybox"
echo "softfleet lab demo container" > "$dir/www/index.html"
tar -C "$dir" -cf "$dir.tar" .
podman import --change 'CMD=["/bin/busybox","httpd","-f","-h","/www"]' "$dir.tar" "$image"
