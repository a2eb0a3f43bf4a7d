// SPDX-License-Identifier: MIT
// `spheresim scenario FILE...`: loads each scenario (sim/runner/scenario.h), runs it
// (sim/runner/runner.h) and reports: progress as it goes, a verdict per scenario, the command
// that replays a failed run, and optionally a JUnit report and JSON traces.
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "runner/runner.h"
#include "runner/scenario.h"

#define MAX_VARS 32
#define MAX_FILES 256
#define EXIT_INTERRUPTED 130
// Nothing failed, but a scenario needs something this build does not have (CTest's "skipped").
#define EXIT_SKIPPED 77

static const char scenario_usage[] =
    "usage: spheresim scenario FILE... [options]\n"
    "\n"
    "Runs YAML scenarios (docs/scenarios.md) against real devices and a local hub, each in its\n"
    "own temporary state directory. Exit 0 when every scenario passed, 1 when one failed or\n"
    "could not run, 77 when none failed but one needs a feature this build lacks (skipped),\n"
    "130 when interrupted.\n"
    "\n"
    "options:\n"
    "  --seed N          the seed for every random choice (overrides the files' seed)\n"
    "  --junit F         write a JUnit XML report, one test case per scenario\n"
    "  --trace F         write the JSON trace; with several files, F is a directory that gets\n"
    "                    NAME.trace.json per scenario\n"
    "  --var NAME=VALUE  define a variable for ${NAME} in the files (repeatable); `build`\n"
    "                    defaults to the build directory this spheresim belongs to\n"
    "  --keep            keep each run's state directory (devices, hub, logs)\n"
    "  --quiet           print only the verdicts\n"
    "  --check           only load and validate the files\n"
    "  --help            show this help\n";

struct scenario_options {
    const char *files[MAX_FILES];
    size_t file_count;
    struct scn_variable vars[MAX_VARS];
    size_t var_count;
    bool has_seed;
    uint64_t seed;
    const char *junit;
    const char *trace;
    bool keep;
    bool quiet;
    bool check;
    bool help;
};

static int add_var(struct scenario_options *o, char *text) {
    char *eq = strchr(text, '=');
    if (eq == NULL || eq == text) {
        return sim_cli_usage_error("scenario: --var wants NAME=VALUE, not '%s'", text);
    }
    if (o->var_count == MAX_VARS) {
        return sim_cli_usage_error("scenario: at most %d --var options", MAX_VARS);
    }
    *eq = '\0';
    o->vars[o->var_count++] = (struct scn_variable){.name = text, .value = eq + 1};
    return 0;
}

static int parse_options(int argc, char **argv, struct scenario_options *o) {
    static const struct option options[] = {
        {"seed", required_argument, NULL, 's'},
        {"junit", required_argument, NULL, 'j'},
        {"trace", required_argument, NULL, 't'},
        {"var", required_argument, NULL, 'v'},
        {"keep", no_argument, NULL, 'k'},
        {"quiet", no_argument, NULL, 'q'},
        {"check", no_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof(*o));
    opterr = 0;
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        char *end = NULL;
        switch (opt) {
            case 's':
                errno = 0;
                o->seed = strtoull(optarg, &end, 10);
                if (optarg[0] == '-' || end == optarg || *end != '\0' || errno != 0) {
                    return sim_cli_usage_error(
                        "scenario: --seed '%s' is not a whole number from 0 to 2^64-1", optarg);
                }
                o->has_seed = true;
                break;
            case 'j':
                o->junit = optarg;
                break;
            case 't':
                o->trace = optarg;
                break;
            case 'v':
                if (add_var(o, optarg) != 0) {
                    return 2;
                }
                break;
            case 'k':
                o->keep = true;
                break;
            case 'q':
                o->quiet = true;
                break;
            case 'c':
                o->check = true;
                break;
            case 'h':
                o->help = true;
                return 0;
            default:
                return sim_cli_usage_error(
                    "scenario: unknown or incomplete option '%s' (see --help)", argv[optind - 1]);
        }
    }
    for (int i = optind; i < argc; i++) {
        if (o->file_count == MAX_FILES) {
            return sim_cli_usage_error("scenario: at most %d files", MAX_FILES);
        }
        o->files[o->file_count++] = argv[i];
    }
    if (o->file_count == 0) {
        return sim_cli_usage_error("scenario: expected at least one FILE (see --help)");
    }
    return 0;
}

static bool has_var(const struct scenario_options *o, const char *name) {
    for (size_t i = 0; i < o->var_count; i++) {
        if (strcmp(o->vars[i].name, name) == 0) {
            return true;
        }
    }
    return false;
}

// The build directory: spheresim lives in <build>/sim/.
static void default_build_dir(const char *exe, char *out, size_t out_size) {
    snprintf(out, out_size, "%s", exe);
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(out, '/');
        if (slash == NULL) {
            snprintf(out, out_size, ".");
            return;
        }
        *slash = '\0';
    }
}

// Appends text to out, quoted for a POSIX shell when it needs to be.
static void append_shell_word(char *out, size_t out_size, const char *text) {
    size_t len = strlen(out);
    bool plain = text[0] != '\0' && strspn(text,
                                           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX"
                                           "YZ0123456789_-./=:,+@%") == strlen(text);
    if (plain) {
        snprintf(out + len, out_size - len, " %s", text);
        return;
    }
    snprintf(out + len, out_size - len, " '");
    for (const char *p = text; *p != '\0'; p++) {
        len = strlen(out);
        snprintf(out + len, out_size - len, *p == '\'' ? "'\\''" : "%c", *p);
    }
    len = strlen(out);
    snprintf(out + len, out_size - len, "'");
}

static void replay_prefix(const char *exe, const char *file, const struct scenario_options *o,
                          char *out, size_t out_size) {
    char absolute[PATH_MAX];
    if (realpath(file, absolute) == NULL) {
        snprintf(absolute, sizeof(absolute), "%s", file);
    }
    out[0] = '\0';
    append_shell_word(out, out_size, exe);
    memmove(out, out + 1, strlen(out));  // no leading space
    size_t len = strlen(out);
    snprintf(out + len, out_size - len, " scenario");
    append_shell_word(out, out_size, absolute);
    for (size_t i = 0; i < o->var_count; i++) {
        char word[PATH_MAX + 256];
        snprintf(word, sizeof(word), "%s=%s", o->vars[i].name, o->vars[i].value);
        len = strlen(out);
        snprintf(out + len, out_size - len, " --var");
        append_shell_word(out, out_size, word);
    }
}

// The trace file for one scenario: --trace itself, or NAME.trace.json in it for several files.
static int trace_path(const struct scenario_options *o, const char *name, char *out,
                      size_t out_size) {
    if (o->trace == NULL) {
        return 0;
    }
    if (o->file_count == 1) {
        snprintf(out, out_size, "%s", o->trace);
        return 1;
    }
    if (mkdir(o->trace, 0755) != 0 && errno != EEXIST) {
        return -1;
    }
    snprintf(out, out_size, "%s/%s.trace.json", o->trace, name);
    return 1;
}

static const char *verdict(enum scn_run_status status) {
    switch (status) {
        case SCN_RUN_PASSED:
            return "PASSED";
        case SCN_RUN_FAILED:
            return "FAILED";
        case SCN_RUN_INTERRUPTED:
            return "INTERRUPTED";
        case SCN_RUN_SKIPPED:
            return "SKIPPED";
        default:
            return "ERROR";
    }
}

// Loads and runs one file into *result; name gets the scenario's name (or the file's).
static void run_file(const char *exe, const struct scenario_options *o, const char *file,
                     struct scn_run_result *result, char *name, size_t name_size) {
    struct scn_options load = {.variables = o->vars, .variable_count = o->var_count};
    struct scn_scenario scenario;
    char err[1024];
    snprintf(name, name_size, "%s", file);
    if (scn_load(file, &load, &scenario, err, sizeof(err)) != SCN_OK) {
        memset(result, 0, sizeof(*result));
        result->status = SCN_RUN_ERROR;
        result->failure_count = 1;
        snprintf(result->failures[0].message, sizeof(result->failures[0].message), "%s", err);
        snprintf(result->failures[0].type, sizeof(result->failures[0].type), "load");
        fprintf(stderr, "spheresim: scenario: %s\n", err);
        return;
    }
    snprintf(name, name_size, "%s", scenario.name);
    if (o->check) {
        memset(result, 0, sizeof(*result));
        printf("%s: ok (%s, %zu device(s), %zu step(s), %zu expectation(s))\n", file, scenario.name,
               scenario.device_count, scenario.step_count, scenario.expectation_count);
        scn_scenario_free(&scenario);
        return;
    }
    char prefix[2048];
    replay_prefix(exe, file, o, prefix, sizeof(prefix));
    char trace[PATH_MAX];
    int has_trace = trace_path(o, scenario.name, trace, sizeof(trace));
    struct scn_run_config config = {
        .spheresim = exe,
        .has_seed = o->has_seed,
        .seed = o->seed,
        .trace_path = has_trace > 0 ? trace : NULL,
        .keep = o->keep,
        .progress = o->quiet ? NULL : stdout,
        .replay_prefix = prefix,
    };
    scn_run(&scenario, &config, result);
    printf("%s %s (%s) in %.1f s: %zu expectation(s) passed, %zu failed, seed %" PRIu64 "\n",
           verdict(result->status), scenario.name, file, result->seconds,
           result->expectations_passed, result->expectations_failed, result->seed);
    size_t shown =
        result->failure_count < SCN_RUN_MAX_FAILURES ? result->failure_count : SCN_RUN_MAX_FAILURES;
    if (o->quiet) {
        for (size_t i = 0; i < shown; i++) {
            printf("  %s\n", result->failures[i].message);
        }
    }
    if (result->status == SCN_RUN_SKIPPED && !o->quiet) {
        printf("  %s\n", result->failures[0].message);
    }
    if (result->status != SCN_RUN_PASSED && result->status != SCN_RUN_SKIPPED) {
        printf("replay: %s\n", result->replay);
    }
    if (has_trace > 0) {
        printf("trace: %s\n", trace);
    }
    fflush(stdout);
    scn_scenario_free(&scenario);
}

int sim_cmd_scenario(int argc, char **argv) {
    struct scenario_options o;
    int status = parse_options(argc, argv, &o);
    if (status != 0 || o.help) {
        if (o.help) {
            fputs(scenario_usage, stdout);
        }
        return status;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0) {
        return sim_cli_fail("scenario: cannot find the spheresim binary: %s", strerror(errno));
    }
    exe[n] = '\0';
    char build[PATH_MAX];
    if (!has_var(&o, "build") && o.var_count < MAX_VARS) {
        default_build_dir(exe, build, sizeof(build));
        o.vars[o.var_count++] = (struct scn_variable){.name = "build", .value = build};
    }
    struct scn_run_result *results = calloc(o.file_count, sizeof(*results));
    char(*names)[256] = calloc(o.file_count, sizeof(*names));
    if (results == NULL || names == NULL) {
        free(results);
        free(names);
        return sim_cli_fail("scenario: out of memory");
    }
    size_t ran = 0;
    size_t skipped = 0;
    int exit_status = 0;
    for (size_t i = 0; i < o.file_count && !scn_run_interrupted(); i++) {
        run_file(exe, &o, o.files[i], &results[i], names[i], sizeof(names[i]));
        ran++;
        if (results[i].status == SCN_RUN_INTERRUPTED) {
            exit_status = EXIT_INTERRUPTED;
        } else if (results[i].status == SCN_RUN_SKIPPED) {
            skipped++;
        } else if (results[i].status != SCN_RUN_PASSED && exit_status == 0) {
            exit_status = 1;
        }
    }
    if (o.junit != NULL && !o.check) {
        const char *name_ptrs[MAX_FILES];
        for (size_t i = 0; i < ran; i++) {
            name_ptrs[i] = names[i];
        }
        if (scn_junit_write(o.junit, name_ptrs, o.files, results, ran) != 0) {
            exit_status = sim_cli_fail("scenario: cannot write %s: %s", o.junit, strerror(errno));
        }
    }
    if (exit_status == 0 && skipped > 0) {
        exit_status = EXIT_SKIPPED;
    }
    if (ran > 1 && !o.check) {
        size_t passed = 0;
        for (size_t i = 0; i < ran; i++) {
            passed += results[i].status == SCN_RUN_PASSED;
        }
        printf("%zu of %zu scenario(s) passed\n", passed, ran);
    }
    free(results);
    free(names);
    return exit_status;
}
