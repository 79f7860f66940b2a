/*
 * libFuzzer target for the language analyzers that read text and JSON files (npm, Python,
 * Cargo, Ruby, Composer, .NET).  The first byte picks the analyzer and the path it is given;
 * the rest is the file.  Whatever the bytes, an analyzer either succeeds, with packages that
 * all have a name, a version and a purl, or fails with HV_E_BAD_REQUEST and says so.
 */
#include "../unit/scan/lang_test.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
    const char *analyzer, *path;
} files[] = {
    {"npm-package", "node_modules/x/package.json"},
    {"npm-lock", "app/package-lock.json"},
    {"python-dist", "usr/lib/python3/dist-packages/x-1.0.dist-info/METADATA"},
    {"python-lock", "app/poetry.lock"},
    {"python-lock", "app/Pipfile.lock"},
    {"cargo-lock", "app/Cargo.lock"},
    {"gemspec", "var/lib/gems/3.1.0/specifications/x-1.0.gemspec"},
    {"gemfile-lock", "app/Gemfile.lock"},
    {"composer", "app/composer.lock"},
    {"composer", "app/vendor/composer/installed.json"},
    {"dotnet-deps", "app/App.deps.json"},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    unsigned pick;

    if (size == 0)
        return 0;
    pick = data[0] % (sizeof(files) / sizeof(files[0]));
    lang_fuzz_one(files[pick].analyzer, files[pick].path, data + 1, size - 1);
    return 0;
}
