/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* Commands beyond scan/dis, one row each: {"name", function, "one-line help"}, */
#ifdef CLI_EXTRA_COMMANDS
#endif
