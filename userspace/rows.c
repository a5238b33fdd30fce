// SPDX-License-Identifier: GPL-2.0
/*
 * rows: the recorder's output.  CSV fields that need quoting (a comma, a
 * quote, a line break) go through libcsv's RFC 4180 writer; everything else
 * is written bare so numbers stay numbers for pandas and R.  JSON lines
 * carry the same fields under the same names.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <csv.h>
#include <linux/cvmstat.h>

#include "fields.h"
#include "rows.h"

static const char csv_header[] =
	"time_ns,time,phase_seq,phase,vm_id,pid,vcpu,kind,key,dir,name,count\n";

static int64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void cvm_out_init(struct cvm_out *o, FILE *f, enum cvm_format format)
{
	struct stat st;
	int64_t mono = clock_ns(CLOCK_MONOTONIC);
	int64_t wall = clock_ns(CLOCK_REALTIME);

	o->f = f;
	o->format = format;
	/* Both clocks read close together: the midpoint error is ~ns. */
	o->wall_offset_ns = wall - (mono + clock_ns(CLOCK_MONOTONIC)) / 2;
	o->sync = !fstat(fileno(f), &st) && S_ISREG(st.st_mode);
}

const char *cvm_dir_name(unsigned int dir)
{
	return dir == CVMSTAT_DIR_READ ? "read" :
	       dir == CVMSTAT_DIR_WRITE ? "write" : "-";
}

int cvm_format_iso8601(char *buf, size_t len, int64_t wall_ns)
{
	time_t sec = wall_ns / 1000000000LL;
	long nsec = wall_ns % 1000000000LL;
	struct tm tm;
	size_t n;

	if (nsec < 0) {
		nsec += 1000000000L;
		sec--;
	}
	if (!gmtime_r(&sec, &tm))
		return snprintf(buf, len, "-");
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!n)
		return snprintf(buf, len, "-");
	return n + snprintf(buf + n, len - n, ".%09ldZ", nsec);
}

static int stream_error(FILE *f)
{
	return ferror(f) ? -(errno ? errno : EIO) : 0;
}

int cvm_out_header(struct cvm_out *o)
{
	if (o->format == CVM_FMT_CSV)
		fputs(csv_header, o->f);
	return stream_error(o->f);
}

/* RFC 4180 quoting, shared with every command's CSV (fields.c) */
static void csv_field(FILE *f, const char *s, bool last)
{
	cvm_csv_field(f, s, last);
}

/* Length of the valid UTF-8 sequence at @s, 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;
	unsigned int c = s[0];
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* no overlong forms, surrogates or code points past U+10FFFF */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

void cvm_json_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', f);
	while (*s) {
		size_t n = utf8_len(s);

		if (!n) {
			fputs("\\ufffd", f);
			s++;
		} else if (*s == '"' || *s == '\\') {
			fputc('\\', f);
			fputc(*s++, f);
		} else if (*s < 0x20) {
			fprintf(f, "\\u%04x", *s++);
		} else {
			fwrite(s, 1, n, f);
			s += n;
		}
	}
	fputc('"', f);
}

int cvm_out_row(struct cvm_out *o, const struct cvm_row *r)
{
	char iso[48], num[24];
	FILE *f = o->f;

	cvm_format_iso8601(iso, sizeof(iso),
			   (int64_t)r->time_ns + o->wall_offset_ns);
	if (o->format == CVM_FMT_JSON) {
		fprintf(f, "{\"time_ns\":%llu,\"time\":",
			(unsigned long long)r->time_ns);
		cvm_json_string(f, iso);
		fprintf(f, ",\"phase_seq\":%llu,\"phase\":",
			(unsigned long long)r->phase_seq);
		cvm_json_string(f, r->phase);
		fprintf(f, ",\"vm_id\":%llu,\"pid\":%d,\"vcpu\":%u,\"kind\":",
			(unsigned long long)r->vm_id, r->pid, r->vcpu);
		cvm_json_string(f, r->kind);
		fprintf(f, ",\"key\":%llu,\"dir\":", (unsigned long long)r->key);
		cvm_json_string(f, r->dir);
		fputs(",\"name\":", f);
		cvm_json_string(f, r->name);
		fprintf(f, ",\"count\":%llu}\n", (unsigned long long)r->count);
		return stream_error(f);
	}
	fprintf(f, "%llu,", (unsigned long long)r->time_ns);
	csv_field(f, iso, false);
	fprintf(f, "%llu,", (unsigned long long)r->phase_seq);
	csv_field(f, r->phase, false);
	fprintf(f, "%llu,%d,%u,", (unsigned long long)r->vm_id, r->pid,
		r->vcpu);
	csv_field(f, r->kind, false);
	fprintf(f, "%llu,", (unsigned long long)r->key);
	csv_field(f, r->dir, false);
	csv_field(f, r->name, false);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)r->count);
	csv_field(f, num, true);
	return stream_error(f);
}

int cvm_out_flush(struct cvm_out *o)
{
	if (fflush(o->f))
		return -(errno ? errno : EIO);
	if (o->sync && fdatasync(fileno(o->f)) && errno != EINVAL)
		return -errno;
	return stream_error(o->f);
}
