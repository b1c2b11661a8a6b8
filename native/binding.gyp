{
  "targets": [
    {
      "target_name": "uid2_native",
      "sources": ["src/uid2_native.c"],
      "defines": ["NAPI_VERSION=8", "OPENSSL_SUPPRESS_DEPRECATED"],
      "cflags_c": ["-std=c11", "-O2", "-Wall", "-Wextra"],
      "xcode_settings": { "OTHER_CFLAGS": ["-std=c11", "-O2"] }
    }
  ]
}
