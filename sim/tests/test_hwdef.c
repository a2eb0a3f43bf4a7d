// SPDX-License-Identifier: MIT
// Unit tests for the hardware-definition loader (sim/os/hwdef.c) and for the data it ships: the
// MT3620 / RDB / sample-appliance chain must resolve to the board's real pins, broken definitions
// (cycles, missing imports, dangling mappings) must fail with messages that say where, and the
// hw/*.h headers apps compile against must agree name for name and value for value with the JSON.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hw/sample_appliance.h>

#include "os/hwdef.h"

#define FIXTURE(name) SPHERESIM_TEST_MANIFEST_DIR "/hw/" name
#define HW_FILE(name) SPHERESIM_HARDWARE_DIR "/" name

static struct sim_hwdef *hwdef_alloc(void) {
    struct sim_hwdef *hw = calloc(1, sizeof(*hw));
    assert_non_null(hw);
    return hw;
}

static void assert_contains(const char *haystack, const char *needle) {
    if (strstr(haystack, needle) == NULL) {
        fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
    }
}

static void assert_gpio(const struct sim_hwdef *hw, const char *name, int id) {
    const struct sim_hwdef_entry *e = sim_hwdef_find(hw, name);
    if (e == NULL) {
        fail_msg("%s not found", name);
    }
    assert_string_equal(e->type, "Gpio");
    assert_true(e->is_integer);
    assert_int_equal(e->int_value, id);
    char text[16];
    snprintf(text, sizeof(text), "%d", id);
    assert_string_equal(e->value, text);
}

static void test_sim_hwdef_load_rdb_chain_resolves_sample_names(void **state) {
    (void)state;
    struct sim_hwdef *hw = hwdef_alloc();
    char err[512];
    assert_int_equal(sim_hwdef_load(HW_FILE("sample_appliance.json"), hw, err, sizeof(err)),
                     SIM_HWDEF_OK);
    assert_gpio(hw, "SAMPLE_LED", 8);
    assert_gpio(hw, "SAMPLE_BUTTON_1", 12);
    assert_gpio(hw, "SAMPLE_BUTTON_2", 13);
    assert_gpio(hw, "SAMPLE_RGBLED_RED", 15);
    assert_gpio(hw, "SAMPLE_RGBLED_GREEN", 16);
    assert_gpio(hw, "SAMPLE_RGBLED_BLUE", 17);
    assert_gpio(hw, "SAMPLE_PENDING_UPDATE_LED", 20);
    assert_gpio(hw, "MT3620_RDB_LED4_BLUE", 23);
    assert_gpio(hw, "MT3620_RDB_STATUS_LED_GREEN", 46);
    assert_gpio(hw, "MT3620_GPIO80", 80);

    const struct sim_hwdef_entry *e = sim_hwdef_find(hw, "SAMPLE_LSM6DS3_I2C");
    assert_non_null(e);
    assert_string_equal(e->type, "I2cMaster");
    assert_false(e->is_integer);
    assert_string_equal(e->value, "ISU2");
    assert_string_equal(e->header_value, "(2)");
    assert_string_equal(e->mapping, "MT3620_RDB_HEADER4_ISU2_I2C");

    e = sim_hwdef_find(hw, "SAMPLE_NRF52_UART");
    assert_non_null(e);
    assert_string_equal(e->value, "ISU0");
    assert_string_equal(e->header_value, "(4)"); /* UART ids are numbered after the I2C/SPI ones */

    e = sim_hwdef_find(hw, "SAMPLE_LED_PWM_CONTROLLER");
    assert_non_null(e);
    assert_string_equal(e->type, "Pwm");
    assert_string_equal(e->value, "PWM-CONTROLLER-2");

    e = sim_hwdef_find(hw, "SAMPLE_POTENTIOMETER_ADC_CONTROLLER");
    assert_non_null(e);
    assert_string_equal(e->value, "ADC-CONTROLLER-0");

    e = sim_hwdef_find(hw, "SAMPLE_LSM6DS3_SPI_CS");
    assert_non_null(e);
    assert_string_equal(e->value, ""); /* chip selects are not manifest values */
    assert_string_equal(e->header_value, "(-1)");

    assert_null(sim_hwdef_find(hw, "SAMPLE_NOT_THERE"));
    assert_null(sim_hwdef_find(NULL, "SAMPLE_LED"));
    free(hw);
}

static void test_sim_hwdef_default_for_board_rdb_returns_sample_appliance(void **state) {
    (void)state;
    const char *path = sim_hwdef_default_for_board("mt3620_rdb");
    assert_non_null(path);
    assert_string_equal(path, HW_FILE("sample_appliance.json"));
    assert_null(sim_hwdef_default_for_board("avnet_mt3620_sk"));
    assert_null(sim_hwdef_default_for_board(""));
    assert_null(sim_hwdef_default_for_board(NULL));
}

static void test_sim_hwdef_load_import_cycle_fails(void **state) {
    (void)state;
    struct sim_hwdef *hw = hwdef_alloc();
    char err[512];
    assert_int_equal(sim_hwdef_load(FIXTURE("cycle_a.json"), hw, err, sizeof(err)),
                     SIM_HWDEF_ERR_IMPORT);
    assert_contains(err, "cycle_b.json: Imports[0].Path: import cycle");
    assert_contains(err, "cycle_a.json -> cycle_b.json -> cycle_a.json");
    assert_int_equal(hw->count, 0);
    free(hw);
}

static void test_sim_hwdef_load_missing_import_fails(void **state) {
    (void)state;
    struct sim_hwdef *hw = hwdef_alloc();
    char err[1024];
    assert_int_equal(sim_hwdef_load(FIXTURE("missing_import.json"), hw, err, sizeof(err)),
                     SIM_HWDEF_ERR_IMPORT);
    assert_contains(err,
                    "missing_import.json: Imports[1].Path: cannot find \"no_such_board.json\"");
    free(hw);
}

// A control character in a path must not split the one-line error (regression: it did).
static void test_sim_hwdef_load_import_path_with_newline_keeps_error_on_one_line(void **state) {
    (void)state;
    char dir[] = "/tmp/test_hwdef_newline.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/board.json", dir);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fputs(
        "{\"Metadata\":{\"Type\":\"Azure Sphere Hardware Definition\",\"Version\":1},"
        "\"Imports\":[{\"Path\":\"evil\\nline.json\"}],\"Peripherals\":[]}",
        file);
    fclose(file);
    struct sim_hwdef *hw = hwdef_alloc();
    char err[1024];
    assert_int_not_equal(sim_hwdef_load(path, hw, err, sizeof(err)), SIM_HWDEF_OK);
    assert_null(strchr(err, '\n'));
    assert_contains(err, "evil?line.json");
    free(hw);
    unlink(path);
    rmdir(dir);
}

static void test_sim_hwdef_load_dangling_mapping_fails(void **state) {
    (void)state;
    struct sim_hwdef *hw = hwdef_alloc();
    char err[512];
    assert_int_equal(sim_hwdef_load(FIXTURE("dangling_mapping.json"), hw, err, sizeof(err)),
                     SIM_HWDEF_ERR_UNRESOLVED);
    assert_contains(err, "dangling_mapping.json: Peripherals[1].Mapping: \"MT3620_RDB_FAN\"");
    assert_contains(err, "not defined");
    free(hw);
}

static void test_sim_hwdef_load_mapping_loop_fails(void **state) {
    (void)state;
    struct sim_hwdef *hw = hwdef_alloc();
    char err[512];
    assert_int_equal(sim_hwdef_load(FIXTURE("mapping_loop.json"), hw, err, sizeof(err)),
                     SIM_HWDEF_ERR_UNRESOLVED);
    assert_contains(err, "mapping_loop.json: Peripherals[0].Mapping:");
    assert_contains(err, "loop");
    free(hw);
}

static void test_sim_hwdef_load_type_mismatch_fails(void **state) {
    (void)state;
    struct sim_hwdef *hw = hwdef_alloc();
    char err[512];
    assert_int_equal(sim_hwdef_load(FIXTURE("type_mismatch.json"), hw, err, sizeof(err)),
                     SIM_HWDEF_ERR_SCHEMA);
    assert_contains(err,
                    "type_mismatch.json: Peripherals[0].Mapping: BOARD_BUS is declared as "
                    "I2cMaster but maps to MT3620_GPIO8, which is Gpio");
    free(hw);
}

static void test_sim_hwdef_load_duplicate_name_fails(void **state) {
    (void)state;
    struct sim_hwdef *hw = hwdef_alloc();
    char err[1024];
    assert_int_equal(sim_hwdef_load(FIXTURE("duplicate_name.json"), hw, err, sizeof(err)),
                     SIM_HWDEF_ERR_SCHEMA);
    assert_contains(err,
                    "duplicate_name.json: Peripherals[0].Name: \"MT3620_GPIO8\" is already "
                    "defined in ");
    assert_contains(err, "mt3620.json");
    free(hw);
}

static void test_sim_hwdef_load_diamond_imports_load_shared_file_once(void **state) {
    (void)state;
    struct sim_hwdef *hw = hwdef_alloc();
    char err[512];
    assert_int_equal(sim_hwdef_load(FIXTURE("diamond.json"), hw, err, sizeof(err)), SIM_HWDEF_OK);
    assert_gpio(hw, "TOP_LED", 9);
    assert_gpio(hw, "RIGHT_LED", 10);
    free(hw);
}

static void test_sim_hwdef_load_deep_imports_fail_past_limit(void **state) {
    (void)state;
    struct sim_hwdef *hw = hwdef_alloc();
    char err[512];
    // deep1 .. deep9 is a chain of nine files: the top one plus eight levels of imports.
    assert_int_equal(sim_hwdef_load(FIXTURE("deep1.json"), hw, err, sizeof(err)), SIM_HWDEF_OK);
    assert_int_equal(hw->count, 9);
    assert_int_equal(sim_hwdef_load(FIXTURE("deep0.json"), hw, err, sizeof(err)),
                     SIM_HWDEF_ERR_IMPORT);
    assert_contains(err, "deep8.json: Imports[0].Path: imports nest deeper than 8 files");
    free(hw);
}

static void test_sim_hwdef_load_syntax_error_reports_line(void **state) {
    (void)state;
    struct sim_hwdef *hw = hwdef_alloc();
    char err[512];
    assert_int_equal(sim_hwdef_load(FIXTURE("bad_syntax.json"), hw, err, sizeof(err)),
                     SIM_HWDEF_ERR_PARSE);
    assert_contains(err, "bad_syntax.json: line 4,");
    free(hw);
}

static void test_sim_hwdef_load_bad_metadata_fails(void **state) {
    (void)state;
    struct sim_hwdef *hw = hwdef_alloc();
    char err[512];
    assert_int_equal(sim_hwdef_load(FIXTURE("bad_metadata.json"), hw, err, sizeof(err)),
                     SIM_HWDEF_ERR_SCHEMA);
    assert_contains(err,
                    "bad_metadata.json: Metadata.Type: expected \"Azure Sphere Hardware "
                    "Definition\"");
    free(hw);
}

static void test_sim_hwdef_load_missing_file_fails_with_io(void **state) {
    (void)state;
    struct sim_hwdef *hw = hwdef_alloc();
    char err[512];
    assert_int_equal(sim_hwdef_load(FIXTURE("nope.json"), hw, err, sizeof(err)), SIM_HWDEF_ERR_IO);
    assert_contains(err, "nope.json: cannot open");
    assert_int_equal(sim_hwdef_load(NULL, hw, err, sizeof(err)), SIM_HWDEF_ERR_IO);
    free(hw);
}

// Opening a FIFO for reading waits for a writer; an import naming one must be refused, not hang.
static void test_sim_hwdef_load_fifo_import_fails_without_blocking(void **state) {
    (void)state;
    char dir[] = "/tmp/spheresim-test-hwdef.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char fifo[PATH_MAX];
    char file[PATH_MAX];
    snprintf(fifo, sizeof(fifo), "%s/pipe.json", dir);
    snprintf(file, sizeof(file), "%s/main.json", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs(
        "{\"Metadata\": {\"Type\": \"Azure Sphere Hardware Definition\", \"Version\": 1},"
        " \"Imports\": [{\"Path\": \"pipe.json\"}], \"Peripherals\": []}",
        f);
    assert_int_equal(fclose(f), 0);

    struct sim_hwdef *hw = hwdef_alloc();
    char err[512];
    assert_int_equal(sim_hwdef_load(file, hw, err, sizeof(err)), SIM_HWDEF_ERR_IO);
    assert_contains(err, "pipe.json: not a regular file");
    free(hw);
    unlink(fifo);
    unlink(file);
    rmdir(dir);
}

static void test_sim_hwdef_mt3620_gpio_is_valid_matches_chip_definition(void **state) {
    (void)state;
    struct sim_hwdef *hw = hwdef_alloc();
    char err[512];
    assert_int_equal(sim_hwdef_load(HW_FILE("mt3620.json"), hw, err, sizeof(err)), SIM_HWDEF_OK);
    bool listed[128] = {false};
    int gpio_count = 0;
    for (size_t i = 0; i < hw->count; ++i) {
        const struct sim_hwdef_entry *e = &hw->entries[i];
        if (strcmp(e->type, "Gpio") == 0) {
            assert_true(e->is_integer);
            assert_in_range(e->int_value, 0, 127);
            listed[e->int_value] = true;
            ++gpio_count;
        } else if (e->value[0] != '\0') {
            assert_true(sim_hwdef_mt3620_peripheral_is_valid(e->type, e->value));
        }
    }
    assert_int_equal(gpio_count, 68);
    for (int id = -2; id < 128; ++id) {
        bool in_json = id >= 0 && listed[id];
        if (sim_hwdef_mt3620_gpio_is_valid(id) != in_json) {
            fail_msg("GPIO %d: table says %d, mt3620.json says %d", id,
                     sim_hwdef_mt3620_gpio_is_valid(id), in_json);
        }
    }
    assert_false(sim_hwdef_mt3620_peripheral_is_valid("Uart", "ISU5"));
    assert_false(sim_hwdef_mt3620_peripheral_is_valid("Pwm", "PWM-CONTROLLER-3"));
    assert_false(sim_hwdef_mt3620_peripheral_is_valid("Adc", "ADC-CONTROLLER-1"));
    assert_false(sim_hwdef_mt3620_peripheral_is_valid("Gpio", "8"));
    free(hw);
}

// --- hw/*.h agree with the JSON -------------------------------------------------------------

struct header_macro {
    char name[64];
    char body[64];
};

struct header_macros {
    struct header_macro items[SIM_HWDEF_MAX_ENTRIES];
    size_t count;
};

// Collects "#define NAME BODY" lines of a generated header; anything else must be a comment,
// blank, #pragma once or #include.
static void read_header_macros(const char *path, struct header_macros *out) {
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fail_msg("cannot open %s", path);
    }
    char line[512];
    while (fgets(line, sizeof(line), f) != NULL) {
        char name[64];
        char body[64];
        if (sscanf(line, "#define %63s %63s", name, body) == 2) {
            assert_true(out->count < SIM_HWDEF_MAX_ENTRIES);
            for (size_t i = 0; i < out->count; ++i) {
                if (strcmp(out->items[i].name, name) == 0) {
                    fail_msg("%s defined twice in the hw headers", name);
                }
            }
            snprintf(out->items[out->count].name, sizeof(out->items[0].name), "%s", name);
            snprintf(out->items[out->count].body, sizeof(out->items[0].body), "%s", body);
            out->count++;
            continue;
        }
        const char *p = line;
        while (isspace((unsigned char)*p)) {
            ++p;
        }
        bool ok = *p == '\0' || strncmp(p, "//", 2) == 0 || strncmp(p, "#pragma once", 12) == 0 ||
                  strncmp(p, "#include \"", 10) == 0;
        if (!ok) {
            fail_msg("%s: unexpected line: %s", path, line);
        }
    }
    fclose(f);
}

static const struct header_macro *find_macro(const struct header_macros *m, const char *name) {
    for (size_t i = 0; i < m->count; ++i) {
        if (strcmp(m->items[i].name, name) == 0) {
            return &m->items[i];
        }
    }
    return NULL;
}

static void test_hw_headers_match_hardware_definitions(void **state) {
    (void)state;
    struct sim_hwdef *hw = hwdef_alloc();
    struct header_macros *macros = calloc(1, sizeof(*macros));
    assert_non_null(macros);
    char err[512];
    assert_int_equal(sim_hwdef_load(HW_FILE("sample_appliance.json"), hw, err, sizeof(err)),
                     SIM_HWDEF_OK);
    read_header_macros(SPHERESIM_HW_INCLUDE_DIR "/mt3620.h", macros);
    read_header_macros(SPHERESIM_HW_INCLUDE_DIR "/mt3620_rdb.h", macros);
    read_header_macros(SPHERESIM_HW_INCLUDE_DIR "/sample_appliance.h", macros);
    assert_int_equal(macros->count, hw->count);

    for (size_t i = 0; i < hw->count; ++i) {
        const struct sim_hwdef_entry *e = &hw->entries[i];
        const struct header_macro *m = find_macro(macros, e->name);
        if (m == NULL) {
            fail_msg("%s is in the JSON chain but not in the hw headers", e->name);
        }
        if (e->mapping[0] != '\0') {
            // A mapped name is emitted as an alias of the name it maps to.
            if (strcmp(m->body, e->mapping) != 0) {
                fail_msg("%s: header says %s, JSON maps to %s", e->name, m->body, e->mapping);
            }
        } else if (strcmp(m->body, e->header_value) != 0) {
            fail_msg("%s: header says %s, JSON says %s", e->name, m->body, e->header_value);
        }
        // Following the alias chain in the header lands on the JSON's resolved value.
        const struct header_macro *cur = m;
        for (int hops = 0; cur != NULL && cur->body[0] != '('; ++hops) {
            assert_true(hops < 8);
            cur = find_macro(macros, cur->body);
        }
        assert_non_null(cur);
        if (strcmp(cur->body, e->header_value) != 0) {
            fail_msg("%s: header chain ends at %s, JSON resolves to %s", e->name, cur->body,
                     e->header_value);
        }
    }
    free(macros);
    free(hw);
}

static void test_hw_headers_compile_to_rdb_pins(void **state) {
    (void)state;
    assert_int_equal(SAMPLE_LED, 8);
    assert_int_equal(SAMPLE_BUTTON_1, 12);
    assert_int_equal(SAMPLE_BUTTON_2, 13);
    assert_int_equal(SAMPLE_RGBLED_BLUE, 17);
    assert_int_equal(MT3620_RDB_LED3_BLUE, 20);
    assert_int_equal(MT3620_RDB_LED4_RED, 21);
    assert_int_equal(SAMPLE_LSM6DS3_I2C, 2);
    assert_int_equal(SAMPLE_NRF52_UART, 4);
    assert_int_equal(SAMPLE_LED_PWM_CONTROLLER, 2);
    assert_int_equal(SAMPLE_LED_PWM_CHANNEL, 1);
    assert_int_equal(SAMPLE_LSM6DS3_SPI_CS, -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_hwdef_load_rdb_chain_resolves_sample_names),
        cmocka_unit_test(test_sim_hwdef_default_for_board_rdb_returns_sample_appliance),
        cmocka_unit_test(test_sim_hwdef_load_import_cycle_fails),
        cmocka_unit_test(test_sim_hwdef_load_missing_import_fails),
        cmocka_unit_test(test_sim_hwdef_load_import_path_with_newline_keeps_error_on_one_line),
        cmocka_unit_test(test_sim_hwdef_load_dangling_mapping_fails),
        cmocka_unit_test(test_sim_hwdef_load_mapping_loop_fails),
        cmocka_unit_test(test_sim_hwdef_load_type_mismatch_fails),
        cmocka_unit_test(test_sim_hwdef_load_duplicate_name_fails),
        cmocka_unit_test(test_sim_hwdef_load_diamond_imports_load_shared_file_once),
        cmocka_unit_test(test_sim_hwdef_load_deep_imports_fail_past_limit),
        cmocka_unit_test(test_sim_hwdef_load_syntax_error_reports_line),
        cmocka_unit_test(test_sim_hwdef_load_bad_metadata_fails),
        cmocka_unit_test(test_sim_hwdef_load_missing_file_fails_with_io),
        cmocka_unit_test(test_sim_hwdef_load_fifo_import_fails_without_blocking),
        cmocka_unit_test(test_sim_hwdef_mt3620_gpio_is_valid_matches_chip_definition),
        cmocka_unit_test(test_hw_headers_match_hardware_definitions),
        cmocka_unit_test(test_hw_headers_compile_to_rdb_pins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
