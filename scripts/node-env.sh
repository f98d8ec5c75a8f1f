# Sourced by the project's scripts: puts a Node >= 22 first on PATH.
# The machine's Node may be older; then Node 24 is installed from the npm registry (the
# platform package `node-<os>-<arch>@24`, the binary that the `node@24` package itself installs)
# into the cache, once, keyed by major version.
BUSBAR_CACHE_DIR="${BUSBAR_CACHE_DIR:-$HOME/.cache/busbar}"
export BUSBAR_CACHE_DIR
_busbar_node_major() { node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/'; }
if [ "$(_busbar_node_major || echo 0)" -lt 22 ] 2>/dev/null || ! command -v node >/dev/null 2>&1; then
  _os=$(uname -s | tr '[:upper:]' '[:lower:]')
  case "$(uname -m)" in x86_64) _arch=x64 ;; aarch64|arm64) _arch=arm64 ;; *) _arch=$(uname -m) ;; esac
  _pkg="node-${_os}-${_arch}"
  _dir="$BUSBAR_CACHE_DIR/node/24"
  if [ ! -x "$_dir/node_modules/$_pkg/bin/node" ]; then
    echo "busbar: node $(node --version 2>/dev/null || echo none) is older than 22; installing $_pkg@24 into $_dir" >&2
    mkdir -p "$_dir"
    npm install --silent --no-save --prefix "$_dir" "$_pkg@24" >&2
  fi
  PATH="$_dir/node_modules/$_pkg/bin:$PATH"
  export PATH
fi
