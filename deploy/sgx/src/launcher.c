/*
 * Enclave entry point of the UID2 operator under Occlum (spec attestation-azure.md 3.4): sets the
 * resource limits the Node.js runtime needs inside the LibOS, then spawns
 *   /bin/node /app/bin/uid2.mjs operator --config /app/conf/config.json
 * with the inherited environment (Occlum.json decides which host variables get in) and waits.
 * Built by deploy/sgx/build.sh with occlum-gcc.
 */
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

extern char **environ;

static int set_limit(int resource, rlim_t value) {
    struct rlimit limit = {value, value};
    if (setrlimit(resource, &limit) != 0) {
        fprintf(stderr, "launcher: setrlimit(%d) failed\n", resource);
        return -1;
    }
    return 0;
}

int main(void) {
    char *const argv[] = {"/bin/node", "/app/bin/uid2.mjs", "operator", "--config", "/app/conf/config.json", NULL};
    pid_t child;
    int status = 0;

    /* Address space below Occlum.json user_space_size (28000MB); modest data and stack limits. */
    if (set_limit(RLIMIT_AS, 26ULL * 1024 * 1024 * 1024) || set_limit(RLIMIT_DATA, 256ULL * 1024 * 1024) ||
        set_limit(RLIMIT_STACK, 2ULL * 1024 * 1024)) {
        return 1;
    }
    int err = posix_spawn(&child, argv[0], NULL, NULL, argv, environ);
    if (err != 0) {
        fprintf(stderr, "launcher: cannot start %s: %s\n", argv[0], strerror(err));
        return 1;
    }
    if (waitpid(child, &status, 0) < 0) {
        fprintf(stderr, "launcher: waitpid failed\n");
        return 1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
