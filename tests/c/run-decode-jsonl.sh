#!/bin/sh
# Builds and runs the plain-C tests of the JSON-lines decoder under AddressSanitizer and UBSan,
# once as it runs for small bodies and once with every body decoded on the worker thread.
set -e
cd "$(dirname "$0")/../.."
mkdir -p .lib
gcc -O1 -g -std=c11 -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all -fno-omit-frame-pointer \
  -Wall -Wextra -o .lib/decode_jsonl_test tests/c/decode_jsonl_test.c src/decode_jsonl.c src/feed_thread.c src/columns.c src/bytebuf.c \
  src/timeparse.c src/utf8.c -lm -pthread
.lib/decode_jsonl_test
JSONL_TEST_THREAD=1 .lib/decode_jsonl_test
