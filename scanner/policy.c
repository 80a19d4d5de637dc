/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* PLACEHOLDER until the policy lands: everything is outside the allowlist. */
#include <stdio.h>
#include <stdlib.h>

#include "policy_private.h"

struct ms_policy { int unused; };

ms_policy *ms_policy_new_builtin(void) { return calloc(1, sizeof(ms_policy)); }
void ms_policy_free(ms_policy *p) { free(p); }
ms_err ms_policy_load_json(ms_policy *p, const char *path, char *err, size_t errlen)
{
	(void)p;
	snprintf(err, errlen, "%s: policy files not supported yet", path);
	return MS_ERR_UNSUPPORTED;
}
ms_verdict ms_policy_check(const ms_policy *p, const char *module, const char *name)
{
	(void)p; (void)module; (void)name;
	return MS_VERDICT_UNKNOWN;
}
int ms_policy_severity_override(const ms_policy *p, const char *rule_id)
{
	(void)p; (void)rule_id;
	return -1;
}
bool ms_policy_compat_map(const ms_policy *p, const char *module, const char *name,
                          const char **out_module, const char **out_name)
{
	(void)p;
	*out_module = module;
	*out_name = name;
	return false;
}
