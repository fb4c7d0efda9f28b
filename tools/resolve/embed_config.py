#!/usr/bin/env python3
"""Writes the C++ source of kDefaultConfigText from the default config file
(config/conflict-resolution-default.json), so the built-in config is that
file byte for byte. Run by meson: embed_config.py INPUT OUTPUT."""
import sys

DELIM = "json"


def main() -> int:
    src, out = sys.argv[1], sys.argv[2]
    with open(src, encoding="utf-8") as f:
        text = f.read()
    if f"){DELIM}\"" in text:
        sys.exit(f"{src}: holds the raw string delimiter ){DELIM}\"")
    with open(out, "w", encoding="utf-8") as f:
        f.write(f"// Generated from {src.rsplit('/', 1)[-1]} by embed_config.py at build time: do not edit.\n")
        f.write("namespace syncpipe::resolve {\n\n")
        f.write("extern const char* const kDefaultConfigText;  // config.hpp\n")
        f.write(f'const char* const kDefaultConfigText = R"{DELIM}({text}){DELIM}";\n\n')
        f.write("}  // namespace syncpipe::resolve\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
