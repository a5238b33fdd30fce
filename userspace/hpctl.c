// SPDX-License-Identifier: GPL-2.0
/*
 * hpctl: halt-polling settings (see hpctl.h).  The state file holds one
 * "NAME=VALUE" line per global parameter cvmstat has changed since the last
 * restore: its value before cvmstat first changed it.  It is read and
 * rewritten under an exclusive flock, so two cvmstat processes changing
 * parameters at once keep the first original.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "dev.h"
#include "hpctl.h"
#include "names.h"

#define MAX_SWEEP	64

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

static const char *params_dir(void)
{
	return env_or("CVMSTAT_KVM_PARAMS", "/sys/module/kvm/parameters");
}

static const char *run_dir(void)
{
	return env_or("CVMSTAT_RUN_DIR", "/run/cvmstat");
}

int cvm_hp_param(const char *name)
{
	int i;

	for (i = 0; i < CVM_HP_NR; i++)
		if (!strcmp(name, cvm_hp_names[i]))
			return i;
	return -1;
}

/* Decimal, no sign, 0..UINT32_MAX; @s need not be NUL-terminated at @len. */
static bool parse_u32(const char *s, size_t len, uint32_t *v)
{
	unsigned long long x = 0;
	size_t i;

	if (!len || len > 10)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		x = x * 10 + (s[i] - '0');
	}
	if (x > UINT32_MAX)
		return false;
	*v = x;
	return true;
}

/* "NAME=" of @arg: the parameter, or a usage error (printed) as -code. */
static int parse_name(const char *arg, const char **rest)
{
	const char *eq = strchr(arg, '=');
	char name[64];
	int p;

	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(name))
		return -cvm_usage_error("expected NAME=VALUE, got `%s'", arg);
	memcpy(name, arg, eq - arg);
	name[eq - arg] = '\0';
	p = cvm_hp_param(name);
	if (p < 0)
		return -cvm_usage_error("unknown setting `%s' (halt_poll_ns, halt_poll_ns_grow, halt_poll_ns_grow_start, halt_poll_ns_shrink, vm_halt_poll_ns)",
					name);
	*rest = eq + 1;
	return p;
}

int cvm_hp_parse_setting(const char *arg, int *param, uint32_t *value)
{
	const char *v;
	int p = parse_name(arg, &v);

	if (p < 0)
		return -p;
	if (!parse_u32(v, strlen(v), value))
		return cvm_usage_error("invalid value `%s' for %s (0..4294967295)",
				       v, cvm_hp_names[p]);
	*param = p;
	return 0;
}

int cvm_hp_parse_sweep(const char *arg, int *param, uint32_t **values)
{
	const char *v, *end;
	uint32_t *vals;
	int p = parse_name(arg, &v), n = 0;

	if (p < 0)
		return p;
	vals = calloc(MAX_SWEEP, sizeof(*vals));
	if (!vals) {
		cvm_err("out of memory");
		return -EXIT_SYSTEM;
	}
	for (;; v = end + 1) {
		end = v + strcspn(v, ",");
		if (n == MAX_SWEEP) {
			free(vals);
			return -cvm_usage_error("more than %d values to sweep",
						MAX_SWEEP);
		}
		if (!parse_u32(v, end - v, &vals[n])) {
			free(vals);
			return -cvm_usage_error("invalid value `%.*s' for %s (0..4294967295)",
						(int)(end - v), v,
						cvm_hp_names[p]);
		}
		n++;
		if (!*end)
			break;
	}
	*param = p;
	*values = vals;
	return n;
}

const char *cvm_hp_path(int param, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", params_dir(), cvm_hp_names[param]);
	return buf;
}

int cvm_hp_read(int param, uint32_t *value)
{
	char path[PATH_MAX], line[32];
	FILE *f = fopen(cvm_hp_path(param, path, sizeof(path)), "re");
	int err;

	if (!f)
		return -errno;
	err = fgets(line, sizeof(line), f) ? 0 : ferror(f) ? errno : EIO;
	fclose(f);
	if (err)
		return -err;
	line[strcspn(line, "\n")] = '\0';
	return parse_u32(line, strlen(line), value) ? 0 : -EIO;
}

static int write_param(int param, uint32_t value)
{
	char path[PATH_MAX];
	FILE *f = fopen(cvm_hp_path(param, path, sizeof(path)), "we");

	if (!f)
		return -errno;
	fprintf(f, "%u\n", value);
	if (fclose(f))
		return -(errno ? errno : EIO);
	return 0;
}

/* A parameter that cannot be read: why, in one line; the exit code. */
static int read_error(int param, int err)
{
	char path[PATH_MAX];

	if (err == -ENOENT) {
		char kvm[PATH_MAX];

		snprintf(kvm, sizeof(kvm), "%s/..", params_dir());
		if (access(kvm, F_OK) || access(params_dir(), F_OK))
			cvm_err("kvm is not loaded (no %s)", params_dir());
		else
			cvm_err("%s: not a parameter of this kernel's kvm module",
				cvm_hp_names[param]);
		return EXIT_SYSTEM;
	}
	cvm_err("reading %s: %s", cvm_hp_path(param, path, sizeof(path)),
		strerror(-err));
	return cvm_errno_exit(-err);
}

int cvm_hp_read_checked(int param, uint32_t *value)
{
	int ret = cvm_hp_read(param, value);

	return ret ? read_error(param, ret) : EXIT_OK;
}

static int write_error(int param, int err)
{
	char path[PATH_MAX];

	cvm_err("writing %s: %s%s", cvm_hp_path(param, path, sizeof(path)),
		strerror(-err),
		err == -EACCES || err == -EPERM ? " (run as root)" : "");
	return err == -ENOENT ? EXIT_SYSTEM : cvm_errno_exit(-err);
}

/* ---- the state file ---------------------------------------------------- */

struct state {
	int fd;
	bool have[CVM_HP_NR_GLOBAL];
	uint32_t orig[CVM_HP_NR_GLOBAL];
};

static const char *state_path(char *buf, size_t len)
{
	snprintf(buf, len, "%s/halt-poll", run_dir());
	return buf;
}

enum { STATE_READ, STATE_WRITE, STATE_CREATE };

/* Opens and locks the state file (@mode: STATE_*), reads it. */
static int state_open(struct state *st, int mode)
{
	char path[PATH_MAX], buf[512], *line, *save;
	ssize_t n;

	memset(st, 0, sizeof(*st));
	if (mode == STATE_CREATE && mkdir(run_dir(), 0755) && errno != EEXIST)
		return -errno;
	st->fd = open(state_path(path, sizeof(path)),
		      (mode == STATE_READ ? O_RDONLY : O_RDWR) | O_CLOEXEC |
		      (mode == STATE_CREATE ? O_CREAT : 0), 0644);
	if (st->fd < 0)
		return -errno;
	if (flock(st->fd, mode == STATE_READ ? LOCK_SH : LOCK_EX)) {
		close(st->fd);
		return -errno;
	}
	n = pread(st->fd, buf, sizeof(buf) - 1, 0);
	if (n < 0) {
		close(st->fd);
		return -errno;
	}
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		uint32_t v;
		int p;

		if (!eq)
			continue;
		*eq = '\0';
		p = cvm_hp_param(line);
		if (p >= 0 && p < CVM_HP_NR_GLOBAL &&
		    parse_u32(eq + 1, strlen(eq + 1), &v)) {
			st->have[p] = true;
			st->orig[p] = v;
		}
	}
	return 0;
}

static int state_store(struct state *st)
{
	char buf[512];
	int i, len = 0;

	for (i = 0; i < CVM_HP_NR_GLOBAL; i++)
		if (st->have[i])
			len += snprintf(buf + len, sizeof(buf) - len, "%s=%u\n",
					cvm_hp_names[i], st->orig[i]);
	if (ftruncate(st->fd, 0) || pwrite(st->fd, buf, len, 0) != len ||
	    fsync(st->fd))
		return -(errno ? errno : EIO);
	return 0;
}

static int state_error(const char *what, int err)
{
	char path[PATH_MAX];

	cvm_err("%s %s: %s%s", what, state_path(path, sizeof(path)),
		strerror(-err),
		err == -EACCES || err == -EPERM ? " (run as root)" : "");
	return cvm_errno_exit(-err);
}

int cvm_hp_set_globals(const int *params, const uint32_t *values, int n)
{
	uint32_t cur[CVM_HP_NR_GLOBAL];
	struct state st;
	int i, j, ret;

	for (i = 0; i < n; i++) {
		ret = cvm_hp_read(params[i], &cur[i]);
		if (ret)
			return read_error(params[i], ret);
	}
	ret = state_open(&st, STATE_CREATE);
	if (ret)
		return state_error("cannot keep the original values in", ret);
	for (i = 0; i < n; i++) {
		if (!st.have[params[i]]) {
			st.have[params[i]] = true;
			st.orig[params[i]] = cur[i];
		}
	}
	ret = state_store(&st);
	close(st.fd);
	if (ret)
		return state_error("cannot keep the original values in", ret);
	for (i = 0; i < n; i++) {
		ret = write_param(params[i], values[i]);
		if (!ret)
			continue;
		/* nothing changed: the ones already written go back */
		for (j = i - 1; j >= 0; j--)
			write_param(params[j], cur[j]);
		return write_error(params[i], ret);
	}
	return EXIT_OK;
}

int cvm_hp_restore_globals(int *restored)
{
	char path[PATH_MAX];
	struct state st;
	int i, ret, code = EXIT_OK, n = 0;

	if (restored)
		*restored = 0;
	ret = state_open(&st, STATE_WRITE);
	if (ret == -ENOENT)
		return EXIT_OK;		/* nothing changed since */
	if (ret)
		return state_error("cannot read", ret);
	for (i = 0; i < CVM_HP_NR_GLOBAL; i++) {
		if (!st.have[i])
			continue;
		ret = write_param(i, st.orig[i]);
		if (ret) {
			code = write_error(i, ret);
			continue;
		}
		st.have[i] = false;
		n++;
	}
	/* what could not be put back stays for the next try */
	if (code == EXIT_OK)
		unlink(state_path(path, sizeof(path)));
	else
		state_store(&st);
	close(st.fd);
	if (restored)
		*restored = n;
	return code;
}

int cvm_hp_forget(int param)
{
	char path[PATH_MAX];
	struct state st;
	int i, ret = state_open(&st, STATE_WRITE);

	if (ret == -ENOENT)
		return EXIT_OK;
	if (ret)
		return state_error("cannot update", ret);
	st.have[param] = false;
	for (i = 0; i < CVM_HP_NR_GLOBAL && !st.have[i]; i++)
		;
	if (i == CVM_HP_NR_GLOBAL)
		ret = unlink(state_path(path, sizeof(path))) ? -errno : 0;
	else
		ret = state_store(&st);
	close(st.fd);
	return ret ? state_error("cannot update", ret) : EXIT_OK;
}

int cvm_hp_originals(bool *have, uint32_t *orig)
{
	struct state st;
	int ret = state_open(&st, STATE_READ);

	memset(have, 0, CVM_HP_NR_GLOBAL * sizeof(*have));
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return ret;
	close(st.fd);
	memcpy(have, st.have, sizeof(st.have));
	memcpy(orig, st.orig, sizeof(st.orig));
	return 0;
}

/* ---- the module ---------------------------------------------------------- */

int cvm_hp_vm_get(int fd, uint64_t vm_id, struct cvmstat_hp_vm *out)
{
	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	out->vm_id = vm_id;
	return ioctl(fd, CVMSTAT_IOC_HP_VM, out) ? -errno : 0;
}

int cvm_hp_vm_set(int fd, uint64_t vm_id, uint32_t op, uint32_t max_ns)
{
	struct cvmstat_hp_set set = {
		.size = sizeof(set),
		.op = op,
		.vm_id = vm_id,
		.max_ns = op == CVMSTAT_HP_OP_SET ? max_ns : 0,
	};

	return ioctl(fd, CVMSTAT_IOC_HP_SET, &set) ? -errno : 0;
}

int cvm_hp_events(int fd, uint64_t after, struct cvmstat_hp_event *evs,
		  uint64_t *last, uint32_t *lost)
{
	struct cvmstat_hp_events l = {
		.size = sizeof(l),
		.nr = CVMSTAT_HP_EVENT_RING,
		.after = after,
		.events = (uintptr_t)evs,
	};

	if (ioctl(fd, CVMSTAT_IOC_HP_EVENTS, &l))
		return -errno;
	*last = l.last;
	*lost = l.lost;
	return l.nr;
}

const char *cvm_hp_source_name(uint32_t source)
{
	switch (source) {
	case CVMSTAT_HP_SRC_GLOBAL:
		return "global";
	case CVMSTAT_HP_SRC_VMM:
		return "vmm";
	case CVMSTAT_HP_SRC_CVMSTAT:
		return "cvmstat";
	}
	return "?";
}
