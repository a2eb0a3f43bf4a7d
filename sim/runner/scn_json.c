// SPDX-License-Identifier: MIT
// YAML values that the scenario hands to the cloud as JSON (a desired-property patch, a method
// payload, a C2D body) are converted here, with one typing rule shared with comparison values:
// a plain `true`/`false` is a boolean, a plain `null`, `~` or empty value is null, a plain
// scalar in JSON's number syntax is a number (its digits kept exactly), and everything else,
// including every quoted scalar, is a string. So `"42"` stays a string and `42` is a number.
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "runner/scn_internal.h"

void scn_scalar_value(struct scn_ctx *c, const struct scn_node *n, struct scn_value *out) {
    memset(out, 0, sizeof(*out));
    double d;
    if (n->plain && (n->len == 0 || strcmp(n->text, "null") == 0 || strcmp(n->text, "~") == 0)) {
        out->kind = SCN_VALUE_NULL;
    } else if (n->plain && (strcmp(n->text, "true") == 0 || strcmp(n->text, "false") == 0)) {
        out->kind = SCN_VALUE_BOOL;
        out->boolean = n->text[0] == 't';
    } else if (n->plain && scn_parse_number(n->text, &d)) {
        out->kind = SCN_VALUE_NUMBER;
        out->number = d;
        out->string = n->text;
    } else {
        out->kind = SCN_VALUE_STRING;
        out->string = n->text;
    }
    (void)c;
}

static cJSON *to_cjson(struct scn_ctx *c, const struct scn_node *n) {
    if (n->type == SCN_NODE_SCALAR) {
        struct scn_value v;
        scn_scalar_value(c, n, &v);
        switch (v.kind) {
            case SCN_VALUE_NULL:
                return cJSON_CreateNull();
            case SCN_VALUE_BOOL:
                return cJSON_CreateBool(v.boolean);
            case SCN_VALUE_NUMBER:
                // Raw keeps the digits as written (64-bit ids survive; a double would not).
                return cJSON_CreateRaw(n->text);
            case SCN_VALUE_STRING:
                return cJSON_CreateString(n->text);
        }
        return NULL;
    }
    cJSON *out = n->type == SCN_NODE_MAP ? cJSON_CreateObject() : cJSON_CreateArray();
    if (out == NULL) {
        return NULL;
    }
    // The loader has already refused repeated and non-scalar keys.
    for (const struct scn_node *k = n->first; k != NULL; k = k->next) {
        const struct scn_node *v = n->type == SCN_NODE_MAP ? k->next : k;
        cJSON *child = to_cjson(c, v);
        if (child == NULL) {
            cJSON_Delete(out);
            return NULL;
        }
        if (n->type == SCN_NODE_MAP) {
            cJSON_AddItemToObject(out, k->text, child);
            k = k->next;
        } else {
            cJSON_AddItemToArray(out, child);
        }
    }
    return out;
}

enum scn_result scn_to_json(struct scn_ctx *c, const struct scn_node *n, char **out_json) {
    // Depth is bounded by the loader, so the recursion is too.
    cJSON *json = to_cjson(c, n);
    if (json == NULL) {
        return scn_fail(c, n->loc, SCN_ERR_NOMEM, "out of memory converting to JSON");
    }
    char *text = cJSON_PrintUnformatted(json);
    cJSON_Delete(json);
    if (text == NULL) {
        return scn_fail(c, n->loc, SCN_ERR_NOMEM, "out of memory converting to JSON");
    }
    *out_json = scn_arena_strdup(c->arena, text);
    free(text);
    return *out_json != NULL ? SCN_OK : scn_fail(c, n->loc, SCN_ERR_NOMEM, "out of memory");
}
