/*
 * Asks the real libpq what it makes of connection strings (issue 13's differential corpus).
 * Input on stdin: strings separated by NUL bytes. Output on stdout: one JSON object per string, one per line:
 *   {"parse":{"ok":true,"params":{...}}, "connect":"<PQconnectdb's error message, or OK>"}
 *   {"parse":{"ok":false,"error":"<PQconninfoParse's error message>"}}
 * PQconninfoParse gives the keyword map (no defaults, no environment); PQconnectdb shows what libpq refuses
 * only when it starts connecting (connectOptions2: sslmode, port lists, ...). With argument "pass": prints
 * {"password": PQpass(conn)} after PQconnectStart — the .pgpass lookup. Run it with a clean environment
 * and only loopback/non-existent socket targets, so "connect" fails at once for network reasons when the
 * options are valid. Built and run by generate.mjs; never shipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

static void json_string(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
	{
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void probe(const char *conninfo)
{
	char	   *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &err);

	printf("{\"parse\":{");
	if (opts == NULL)
	{
		printf("\"ok\":false,\"error\":");
		json_string(err ? err : "out of memory");
		printf("}}\n");
		PQfreemem(err);
		return;
	}
	printf("\"ok\":true,\"params\":{");
	int			first = 1;
	for (PQconninfoOption *o = opts; o->keyword; o++)
	{
		if (o->val == NULL)
			continue;
		if (!first)
			putchar(',');
		first = 0;
		json_string(o->keyword);
		putchar(':');
		json_string(o->val);
	}
	printf("}},\"connect\":");
	PQconninfoFree(opts);

	PGconn	   *conn = PQconnectdb(conninfo);
	json_string(PQstatus(conn) == CONNECTION_OK ? "OK" : PQerrorMessage(conn));
	PQfinish(conn);
	printf("}\n");
}

/* "pass" mode: the password libpq takes from the password file for host 0 (connectOptions2 reads it up front). */
static void probe_pass(const char *conninfo)
{
	PGconn	   *conn = PQconnectStart(conninfo);
	const char *pw = conn ? PQpass(conn) : NULL;

	printf("{\"password\":");
	if (pw)
		json_string(pw);
	else
		printf("null");
	printf("}\n");
	PQfinish(conn);
}

int main(int argc, char **argv)
{
	int			pass_mode = argc > 1 && strcmp(argv[1], "pass") == 0;
	size_t		cap = 1 << 16, len = 0;
	char	   *buf = malloc(cap);
	int			c;

	while ((c = getchar()) != EOF)
	{
		if (len + 1 >= cap)
			buf = realloc(buf, cap *= 2);
		buf[len++] = (char) c;
		if (c == '\0')
		{
			if (pass_mode)
				probe_pass(buf);
			else
				probe(buf);
			fflush(stdout);
			len = 0;
		}
	}
	printf("{\"libpq\":%d}\n", PQlibVersion());
	return 0;
}
