# SPDX-License-Identifier: Apache-2.0
# Turns each rules/ file into a C string in a table: { "name", "text", len }.
function flush() {
	if (name == "") return
	printf "static const char f%d[] = \"%s\";\n", n, body
	names[n] = name; lens[n] = len; n++
}
BEGIN { n = 0; name = "" }
FNR == 1 { flush(); name = FILENAME; sub(/.*\//, "", name); body = ""; len = 0 }
{
	line = $0
	gsub(/\\/, "&&", line); gsub(/"/, "\\\"", line); gsub(/\t/, "\\t", line); gsub(/\r/, "\\r", line)
	body = body line "\\n\"\n\""; len += length($0) + 1
}
END {
	flush()
	print "#include \"scanner/rules_data_private.h\""
	print "const ms_rules_file ms_rules_files[] = {"
	for (i = 0; i < n; i++) printf "\t{\"%s\", f%d, sizeof f%d - 1},\n", names[i], i, i
	print "};"
	printf "const size_t ms_rules_nfiles = %d;\n", n
}
