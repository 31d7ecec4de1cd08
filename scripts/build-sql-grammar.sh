#!/usr/bin/env bash
# Builds grammars/tree-sitter-sql.wasm, the SQL grammar the treesitter module loads. No npm package ships a
# prebuilt WebAssembly SQL grammar, so this compiles the C parser that @derekstride/tree-sitter-sql publishes
# on npm into a tree-sitter language module (a WebAssembly side module exporting tree_sitter_sql, its C
# library imports left for web-tree-sitter to provide), as tree-sitter's own `build --wasm` does with
# wasi-sdk. Needs Debian's clang-19, lld-19 and wasi-libc (apt-get install -y clang-19 lld-19 wasi-libc).
# The result is committed; run this only to move to another version of the grammar.
set -euo pipefail
VERSION=${1:-0.3.11}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm pack "@derekstride/tree-sitter-sql@$VERSION" --silent >/dev/null
tar xzf derekstride-tree-sitter-sql-"$VERSION".tgz
cd package
clang-19 --target=wasm32-wasi --sysroot=/usr -isystem /usr/include/wasm32-wasi -Os -fPIC -shared -nostdlib \
  -fno-exceptions -fvisibility=hidden -Wl,--export=tree_sitter_sql -Wl,--allow-undefined -Wl,--no-entry \
  -Wl,--strip-all -I src src/parser.c src/scanner.c -o "$ROOT/grammars/tree-sitter-sql.wasm" 2> >(grep -v 'not yet stable' >&2)
cp LICENSE "$ROOT/grammars/tree-sitter-sql.LICENSE"
echo "built grammars/tree-sitter-sql.wasm from @derekstride/tree-sitter-sql@$VERSION"
