// SPDX-License-Identifier: GPL-2.0
/*
 * cvmstat halt-poll: shows and changes halt polling, globally (KVM's module
 * parameters, through sysfs: no module needed) and per VM (the VM's own
 * maximum, through cvmstat.ko), and puts back what cvmstat changed.  Also
 * the halt-poll views of `show --by haltpoll` and `top`.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "dev.h"
#include "fields.h"
#include "hpctl.h"
#include "hpview.h"
#include "names.h"

/* The VM's maximum in words: "200000 ns (global)". */
static void format_max(char *buf, size_t len, const struct cvmstat_hp_vm *v)
{
	uint32_t global;

	if (v->state & CVMSTAT_HP_OVERRIDE)
		snprintf(buf, len, "%u", v->max_ns);
	else if (!cvm_hp_read(CVM_HP_NS, &global))
		snprintf(buf, len, "%u", global);
	else
		snprintf(buf, len, "?");
}

static void format_orig(char *buf, size_t len, const struct cvmstat_hp_vm *v)
{
	if (!(v->state & CVMSTAT_HP_SAVED))
		snprintf(buf, len, "-");
	else if (v->state & CVMSTAT_HP_ORIG_OVERRIDE)
		snprintf(buf, len, "%u", v->orig_max_ns);
	else
		snprintf(buf, len, "global");
}

static void show_globals(void)
{
	bool have[CVM_HP_NR_GLOBAL];
	uint32_t orig[CVM_HP_NR_GLOBAL], v;
	int i, ret;

	for (i = 0; i < CVM_HP_NR_GLOBAL; i++) {
		ret = cvm_hp_read(i, &v);
		if (ret)
			printf("%-24s %s\n", cvm_hp_names[i], ret == -ENOENT ?
			       "(not a parameter of this kernel, or kvm not loaded)" :
			       strerror(-ret));
		else
			printf("%-24s %u\n", cvm_hp_names[i], v);
	}
	if (cvm_hp_originals(have, orig))
		return;
	for (i = 0; i < CVM_HP_NR_GLOBAL; i++)
		if (have[i])
			printf("changed by cvmstat: %s, was %u (--restore puts it back)\n",
			       cvm_hp_names[i], orig[i]);
}

/* A table of the live VMs of @pid (all when 0) and their maximum. */
static int show_vms(int fd, pid_t pid)
{
	struct cvmstat_vm_info *vms;
	bool header = false;
	int i, n = cvm_select_vms(fd, pid, &vms);

	if (n < 0)
		return -n;
	for (i = 0; i < n; i++) {
		struct cvmstat_hp_vm v;
		char max[16], orig[16];

		if (!(vms[i].flags & CVMSTAT_VM_ALIVE) ||
		    cvm_hp_vm_get(fd, vms[i].vm_id, &v))
			continue;	/* exited, or meanwhile */
		if (!header)
			printf("\n%-6s %-8s %-16s %12s  %-8s %s\n", "VM", "PID",
			       "COMMAND", "MAX_NS", "SOURCE", "BEFORE_CVMSTAT");
		header = true;
		format_max(max, sizeof(max), &v);
		format_orig(orig, sizeof(orig), &v);
		printf("%-6llu %-8d %-16.16s %12s  %-8s %s\n",
		       (unsigned long long)vms[i].vm_id, vms[i].pid, vms[i].comm,
		       max, cvm_hp_source_name(v.source), orig);
	}
	if (!header && pid) {
		cvm_err("no live VM of process %d (`cvmstat status` lists the VMs seen)",
			pid);
		free(vms);
		return EXIT_NOVM;
	}
	free(vms);
	return EXIT_OK;
}

/* One VM's -errno from HP_VM/HP_SET as a message and an exit code. */
static int vm_error(const struct cvmstat_vm_info *vm, int err)
{
	switch (-err) {
	case ENOENT:
	case ESRCH:
		cvm_err("VM %llu of process %d has exited",
			(unsigned long long)vm->vm_id, vm->pid);
		return EXIT_NOVM;
	case EOPNOTSUPP:
		cvm_err("this kernel's KVM gives cvmstat no per-VM maximum (cvmstat status: no haltpoll_vm)");
		return EXIT_SYSTEM;
	}
	cvm_err("VM %llu: %s", (unsigned long long)vm->vm_id, strerror(-err));
	return cvm_errno_exit(-err);
}

/*
 * @op (CVMSTAT_HP_OP_*) on every live VM of @pid (every VM cvmstat changed
 * when @pid is 0 and @op is RESTORE).  Prints what it did.
 */
static int vm_op(int fd, pid_t pid, uint32_t op, uint32_t ns)
{
	struct cvmstat_vm_info *vms;
	int i, k = 0, n, ret, code = EXIT_OK;

	n = cvm_select_vms(fd, pid, &vms);
	if (n < 0)
		return -n;
	for (i = 0; i < n && code == EXIT_OK; i++) {
		struct cvmstat_hp_vm before, after;
		char was[16], now[16];

		if (!(vms[i].flags & CVMSTAT_VM_ALIVE))
			continue;
		ret = cvm_hp_vm_get(fd, vms[i].vm_id, &before);
		if (!ret)
			ret = cvm_hp_vm_set(fd, vms[i].vm_id, op, ns);
		if (ret == -ENODATA)	/* RESTORE: cvmstat never changed it */
			continue;
		if (!ret)
			ret = cvm_hp_vm_get(fd, vms[i].vm_id, &after);
		if ((ret == -ESRCH || ret == -ENOENT) && !pid)
			continue;	/* --restore of all: gone meanwhile */
		if (ret) {
			code = vm_error(&vms[i], ret);
			break;
		}
		k++;
		format_max(was, sizeof(was), &before);
		format_max(now, sizeof(now), &after);
		printf("VM %llu (pid %d): vm_halt_poll_ns %s (%s), was %s (%s)\n",
		       (unsigned long long)vms[i].vm_id, vms[i].pid, now,
		       cvm_hp_source_name(after.source), was,
		       cvm_hp_source_name(before.source));
	}
	if (code == EXIT_OK && !k && pid && op != CVMSTAT_HP_OP_RESTORE) {
		cvm_err("no live VM of process %d", pid);
		code = EXIT_NOVM;
	}
	free(vms);
	return code;
}

struct hp_opts {
	pid_t pid;
	bool clear;
	bool restore;
	int nr;
	int params[CVM_HP_NR];
	uint32_t values[CVM_HP_NR];
};

static int parse(int argc, char **argv, struct hp_opts *o)
{
	static const struct option opts[] = {
		{ "vm", required_argument, NULL, 'p' },
		{ "clear", no_argument, NULL, 'c' },
		{ "restore", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, ret, i, p;
	uint32_t v;

	while ((opt = getopt_long(argc, argv, "+:p:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			ret = cvm_opt_pid(optarg, &o->pid);
			if (ret)
				return ret;
			break;
		case 'c':
			o->clear = true;
			break;
		case 'r':
			o->restore = true;
			break;
		case 'h':
			cvm_print_usage(&cvm_cmd_haltpoll, stdout);
			return -1;
		default:
			return cvm_bad_option(opt, argc, argv);
		}
	}
	for (; optind < argc; optind++) {
		ret = cvm_hp_parse_setting(argv[optind], &p, &v);
		if (ret)
			return ret;
		for (i = 0; i < o->nr; i++)
			if (o->params[i] == p)
				return cvm_usage_error("%s given twice",
						       cvm_hp_names[p]);
		o->params[o->nr] = p;
		o->values[o->nr++] = v;
	}
	if (o->clear && o->restore)
		return cvm_usage_error("--clear and --restore exclude each other");
	if ((o->clear || o->restore) && o->nr)
		return cvm_usage_error("--%s takes no NAME=VALUE",
				       o->clear ? "clear" : "restore");
	if (o->clear && !o->pid)
		return cvm_usage_error("--clear needs --vm PID");
	for (i = 0; i < o->nr; i++)
		if (o->params[i] == CVM_HP_VM && !o->pid)
			return cvm_usage_error("vm_halt_poll_ns needs --vm PID");
	return 0;
}

/* The device, for the per-VM part: opened for writing when @write. */
static int open_vm_dev(bool write)
{
	struct cvmstat_version ver;
	int fd = cvm_dev_open_mode(&ver, write ? O_RDWR : O_RDONLY);

	if (fd < 0)
		return fd;
	if (!(ver.features & CVMSTAT_FEAT_HALTPOLL_VM)) {
		cvm_err("this kernel's KVM gives cvmstat no per-VM maximum (cvmstat status: no haltpoll_vm)");
		close(fd);
		return -EXIT_SYSTEM;
	}
	return fd;
}

static int restore(pid_t pid)
{
	int n, fd, code = EXIT_OK;

	if (!pid) {
		code = cvm_hp_restore_globals(&n);
		if (code)
			return code;
		printf("global parameters: %d put back\n", n);
		/* without the module no VM can have been changed */
		if (access(cvm_dev_path, F_OK))
			return EXIT_OK;
	}
	fd = open_vm_dev(true);
	if (fd < 0)
		return -fd;
	code = vm_op(fd, pid, CVMSTAT_HP_OP_RESTORE, 0);
	close(fd);
	return code;
}

static int haltpoll_main(int argc, char **argv)
{
	struct hp_opts o = { 0 };
	int params[CVM_HP_NR];
	uint32_t values[CVM_HP_NR];
	int i, n = 0, fd, ret, code;

	ret = parse(argc, argv, &o);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (o.restore)
		return restore(o.pid);
	if (o.clear || !o.nr) {
		if (!o.clear && !o.pid)
			show_globals();
		if (!o.pid && access(cvm_dev_path, F_OK)) {
			printf("\n(cvmstat.ko is not loaded: no per-VM values)\n");
			return EXIT_OK;
		}
		fd = o.clear ? open_vm_dev(true) : cvm_dev_open(NULL);
		if (fd < 0)
			return -fd;
		code = o.clear ? vm_op(fd, o.pid, CVMSTAT_HP_OP_CLEAR, 0) :
				 show_vms(fd, o.pid);
		close(fd);
		return code;
	}
	/* globals first, all or none; then the VMs */
	for (i = 0; i < o.nr; i++) {
		if (o.params[i] == CVM_HP_VM)
			continue;
		params[n] = o.params[i];
		values[n++] = o.values[i];
	}
	fd = -1;
	if (n < o.nr) {		/* a per-VM value: the device before anything */
		fd = open_vm_dev(true);
		if (fd < 0)
			return -fd;
	}
	code = EXIT_OK;
	if (n) {
		uint32_t before[CVM_HP_NR];

		for (i = 0; i < n; i++)
			if (cvm_hp_read(params[i], &before[i]))
				before[i] = UINT32_MAX;
		code = cvm_hp_set_globals(params, values, n);
		for (i = 0; i < n && code == EXIT_OK; i++)
			printf("%s=%u (was %u)\n", cvm_hp_names[params[i]],
			       values[i], before[i]);
	}
	for (i = 0; i < o.nr && code == EXIT_OK; i++)
		if (o.params[i] == CVM_HP_VM)
			code = vm_op(fd, o.pid, CVMSTAT_HP_OP_SET, o.values[i]);
	if (fd >= 0)
		close(fd);
	return code;
}

/* ---- views -------------------------------------------------------------- */

void cvm_hp_sum_add(struct cvm_hp_sum *s, const struct cvmstat_record *recs,
		    uint32_t nr, long vcpu)
{
	uint32_t i, j;

	for (i = 0; i < nr; i++) {
		const struct cvmstat_record *r = &recs[i];

		if (vcpu >= 0 && r->vcpu_id != (uint32_t)vcpu)
			continue;
		switch (r->kind) {
		case CVMSTAT_KIND_HALT:
			if (r->key < CVMSTAT_HALT_NR)
				s->stat[r->key] += r->count;
			break;
		case CVMSTAT_KIND_HALT_WINDOW:
			for (j = 0; j < s->nr_win && s->win_key[j] != r->key; j++)
				;
			if (j == s->nr_win) {
				if (j == CVM_HP_SUM_WINDOWS)
					break;
				s->nr_win++;
				s->win_key[j] = r->key;
				s->win_count[j] = 0;
			}
			s->win_count[j] += r->count;
			break;
		case CVMSTAT_KIND_HALT_STATE:
			if (r->key == CVMSTAT_HALT_STATE_WINDOW &&
			    r->count > s->window)
				s->window = r->count;
			if (r->key == CVMSTAT_HALT_STATE_GUEST_OFF && r->count)
				s->guest_off = true;
			break;
		}
	}
}

/* The windows in force at polling halts between @old and @now: "a-b". */
static void window_range(char *buf, size_t len, const struct cvm_hp_sum *now,
			 const struct cvm_hp_sum *old)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	uint32_t i, j;

	for (i = 0; i < now->nr_win; i++) {
		uint64_t before = 0;

		for (j = 0; old && j < old->nr_win; j++)
			if (old->win_key[j] == now->win_key[i])
				before = old->win_count[j];
		if (now->win_count[i] == before)
			continue;
		if (now->win_key[i] < lo)
			lo = now->win_key[i];
		if (now->win_key[i] > hi)
			hi = now->win_key[i];
	}
	if (!hi)
		snprintf(buf, len, "-");
	else if (lo == hi)
		snprintf(buf, len, "%llu", (unsigned long long)hi);
	else
		snprintf(buf, len, "%llu-%llu", (unsigned long long)lo,
			 (unsigned long long)hi);
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * part / whole : 0.0;
}

/*
 * One row of `show --by haltpoll`: a vCPU (or, in the text only, the
 * total).  cvmstat(8), OUTPUT, names the fields; append only.
 */
struct hp_row {
	uint64_t vm_id;
	int64_t pid;
	const char *comm;
	int64_t vcpu;
	const char *who;		/* text: the vCPU, or "total" */
	int64_t max_ns;			/* the VM's maximum now, -1: unknown */
	const char *max_source;
	uint64_t halts;
	double poll_ok_share;
	uint64_t poll_ok;
	uint64_t poll_fail;
	uint64_t not_polled;
	uint64_t not_polled_guest;
	uint64_t invalid;
	double poll_ok_ms;
	double poll_fail_ms;
	double wait_ms;
	uint64_t halted_ns;
	uint64_t poll_ok_ns;
	uint64_t poll_fail_ns;
	uint64_t wait_ns;
	uint64_t grow;
	uint64_t shrink;
	const char *windows;		/* text: "lo-hi" */
	uint64_t window_min;		/* in force at its polls, 0: none */
	uint64_t window_max;
	const char *window_text;	/* text: blank in the total */
	uint64_t window;		/* after its last halt */
	const char *guest_poll;		/* on, off; blank in the total */
};

#define HP_FIELD(type, member, in, heading, width, sep) \
	CVM_FIELD(type, struct hp_row, member, in, heading, width, sep)
static const struct cvm_field hp_fields[] = {
	HP_FIELD(CVM_FIELD_U64, vm_id, CVM_IN_DATA, NULL, 0, NULL),
	HP_FIELD(CVM_FIELD_I64, pid, CVM_IN_DATA, NULL, 0, NULL),
	HP_FIELD(CVM_FIELD_STR, comm, CVM_IN_DATA, NULL, 0, NULL),
	HP_FIELD(CVM_FIELD_I64, vcpu, CVM_IN_DATA, NULL, 0, NULL),
	HP_FIELD(CVM_FIELD_STR, who, CVM_IN_TEXT, "VCPU", -6, ""),
	HP_FIELD(CVM_FIELD_I64, max_ns, CVM_IN_DATA, NULL, 0, NULL),
	HP_FIELD(CVM_FIELD_STR, max_source, CVM_IN_DATA, NULL, 0, NULL),
	HP_FIELD(CVM_FIELD_U64, halts, CVM_IN_ALL, "HALTS", 9, " "),
	HP_FIELD(CVM_FIELD_PCT, poll_ok_share, CVM_IN_ALL, "OK%", 7, " "),
	HP_FIELD(CVM_FIELD_U64, poll_ok, CVM_IN_ALL, "POLL_OK", 9, " "),
	HP_FIELD(CVM_FIELD_U64, poll_fail, CVM_IN_ALL, "POLL_FAIL", 9, " "),
	HP_FIELD(CVM_FIELD_U64, not_polled, CVM_IN_ALL, "NO_POLL", 9, " "),
	HP_FIELD(CVM_FIELD_U64, not_polled_guest, CVM_IN_DATA, NULL, 0, NULL),
	HP_FIELD(CVM_FIELD_U64, invalid, CVM_IN_DATA, NULL, 0, NULL),
	HP_FIELD(CVM_FIELD_F3, poll_ok_ms, CVM_IN_TEXT, "POLL_OK_MS", 12, " "),
	HP_FIELD(CVM_FIELD_F3, poll_fail_ms, CVM_IN_TEXT, "WASTED_MS", 12, " "),
	HP_FIELD(CVM_FIELD_F3, wait_ms, CVM_IN_TEXT, "WAITED_MS", 12, " "),
	HP_FIELD(CVM_FIELD_U64, halted_ns, CVM_IN_DATA, NULL, 0, NULL),
	HP_FIELD(CVM_FIELD_U64, poll_ok_ns, CVM_IN_DATA, NULL, 0, NULL),
	HP_FIELD(CVM_FIELD_U64, poll_fail_ns, CVM_IN_DATA, NULL, 0, NULL),
	HP_FIELD(CVM_FIELD_U64, wait_ns, CVM_IN_DATA, NULL, 0, NULL),
	HP_FIELD(CVM_FIELD_U64, grow, CVM_IN_DATA, NULL, 0, NULL),
	HP_FIELD(CVM_FIELD_U64, shrink, CVM_IN_DATA, NULL, 0, NULL),
	HP_FIELD(CVM_FIELD_STR, windows, CVM_IN_TEXT, "WINDOWS_NS", -19, "  "),
	HP_FIELD(CVM_FIELD_U64, window_min, CVM_IN_DATA, NULL, 0, NULL),
	HP_FIELD(CVM_FIELD_U64, window_max, CVM_IN_DATA, NULL, 0, NULL),
	HP_FIELD(CVM_FIELD_STR, window_text, CVM_IN_TEXT, "WINDOW", 9, " "),
	HP_FIELD(CVM_FIELD_U64, window, CVM_IN_DATA, NULL, 0, NULL),
	HP_FIELD(CVM_FIELD_STR, guest_poll, CVM_IN_ALL, "GUEST", 0, " "),
};

void cvm_hp_view_init(struct cvm_view *v, FILE *f, enum cvm_view_format format)
{
	v->f = f;
	v->format = format;
	v->fields = hp_fields;
	v->nr = sizeof(hp_fields) / sizeof(hp_fields[0]);
}

/* The windows in force at polls: [lo, hi], both 0 with none. */
static void window_min_max(const struct cvm_hp_sum *s, uint64_t *lo,
			   uint64_t *hi)
{
	uint32_t i;

	*lo = *hi = 0;
	for (i = 0; i < s->nr_win; i++) {
		if (!s->win_count[i])
			continue;
		if (!*hi || s->win_key[i] < *lo)
			*lo = s->win_key[i];
		if (s->win_key[i] > *hi)
			*hi = s->win_key[i];
	}
}

/* @state: the vCPU's own row (its window and the guest's setting). */
static void show_row(const struct cvm_view *view, struct hp_row *row,
		     const char *who, const struct cvm_hp_sum *s, bool state)
{
	const uint64_t *st = s->stat;
	char wins[48], win[24];

	window_range(wins, sizeof(wins), s, NULL);
	snprintf(win, sizeof(win), "%llu", (unsigned long long)s->window);
	row->who = who;
	row->halts = st[CVMSTAT_HALT_HALTS];
	row->poll_ok_share = pct(st[CVMSTAT_HALT_POLL_OK], st[CVMSTAT_HALT_HALTS]);
	row->poll_ok = st[CVMSTAT_HALT_POLL_OK];
	row->poll_fail = st[CVMSTAT_HALT_POLL_FAIL];
	row->not_polled = st[CVMSTAT_HALT_NOT_POLLED];
	row->not_polled_guest = st[CVMSTAT_HALT_NO_POLL_GUEST];
	row->invalid = st[CVMSTAT_HALT_INVALID];
	row->poll_ok_ms = st[CVMSTAT_HALT_POLL_OK_NS] / 1e6;
	row->poll_fail_ms = st[CVMSTAT_HALT_POLL_FAIL_NS] / 1e6;
	row->wait_ms = st[CVMSTAT_HALT_WAIT_NS] / 1e6;
	row->halted_ns = st[CVMSTAT_HALT_NS];
	row->poll_ok_ns = st[CVMSTAT_HALT_POLL_OK_NS];
	row->poll_fail_ns = st[CVMSTAT_HALT_POLL_FAIL_NS];
	row->wait_ns = st[CVMSTAT_HALT_WAIT_NS];
	row->grow = st[CVMSTAT_HALT_GROW];
	row->shrink = st[CVMSTAT_HALT_SHRINK];
	row->windows = wins;
	window_min_max(s, &row->window_min, &row->window_max);
	row->window_text = state ? win : "";
	row->window = s->window;
	row->guest_poll = !state ? "" : s->guest_off ? "off" : "on";
	cvm_view_row(view, row);
}

int cvm_hp_show(int fd, const struct cvm_view *view,
		const struct cvmstat_vm_info *vm, long vcpu)
{
	bool text = view->format == CVM_VIEW_TEXT;
	struct hp_row row = {
		.vm_id = vm->vm_id, .pid = vm->pid, .comm = vm->comm,
		.max_ns = -1,
	};
	struct cvm_hp_sum total = { 0 };
	struct cvmstat_hp_vm v;
	struct cvm_vm_read rd;
	uint32_t i, shown = 0;
	char max[16];
	int ret;

	ret = cvm_read_vm_flags(fd, vm->vm_id, 0, CVMSTAT_READ_HALTPOLL |
				CVMSTAT_READ_HALTPOLL_STATE, &rd);
	if (ret == -ENOENT)
		return EXIT_OK;
	if (ret == -EINVAL) {
		cvm_err("the loaded cvmstat.ko does not measure halt polling (ABI 1.3 and later do)");
		return EXIT_SYSTEM;
	}
	if (ret) {
		cvm_err("reading VM %llu: %s", (unsigned long long)vm->vm_id,
			strerror(-ret));
		return cvm_errno_exit(-ret);
	}
	if (text)
		printf("VM %llu: pid %d (%.16s), %u vCPUs, %s\n",
		       (unsigned long long)vm->vm_id, vm->pid, vm->comm,
		       vm->nr_vcpus,
		       vm->flags & CVMSTAT_VM_ALIVE ? "alive" : "exited");
	if ((vm->flags & CVMSTAT_VM_ALIVE) && !cvm_hp_vm_get(fd, vm->vm_id, &v)) {
		format_max(max, sizeof(max), &v);
		if (text)
			printf("maximum poll window %s ns (%s)\n", max,
			       cvm_hp_source_name(v.source));
		if (strcmp(max, "?"))
			row.max_ns = strtoll(max, NULL, 10);
		row.max_source = cvm_hp_source_name(v.source);
	}
	if (text)
		cvm_view_header(view);
	for (i = 0; i < rd.nr; i++) {
		struct cvm_hp_sum s = { 0 };
		char who[16];
		uint32_t id = rd.recs[i].vcpu_id;

		if (rd.recs[i].kind != CVMSTAT_KIND_VCPU ||
		    (vcpu >= 0 && id != (uint32_t)vcpu))
			continue;
		cvm_hp_sum_add(&s, rd.recs, rd.nr, id);
		cvm_hp_sum_add(&total, rd.recs, rd.nr, id);
		snprintf(who, sizeof(who), "%u", id);
		row.vcpu = id;
		show_row(view, &row, who, &s, true);
		shown++;
	}
	/* the total is the text's: a machine reader sums the rows */
	if (shown > 1 && text)
		show_row(view, &row, "total", &total, false);
	if (vcpu >= 0 && !shown && text)
		printf("(no exits of vCPU %ld)\n", vcpu);
	cvm_vm_read_free(&rd);
	return EXIT_OK;
}

void cvm_hp_top_row(uint64_t vm_id, const struct cvm_hp_sum *now,
		    const struct cvm_hp_sum *old, double secs, bool *header)
{
	uint64_t d[CVMSTAT_HALT_NR];
	char wins[48];
	int k;

	for (k = 0; k < CVMSTAT_HALT_NR; k++)
		d[k] = now->stat[k] - (old ? old->stat[k] : 0);
	if (!now->stat[CVMSTAT_HALT_HALTS])
		return;		/* this VM never halted in the kernel */
	if (!*header)
		printf("%-8s %12s %7s %7s %7s %12s %12s %12s  %s\n", "VM",
		       "HALTS/s", "POLL_OK", "FAIL", "NO_POLL", "POLLED_MS/s",
		       "WASTED_MS/s", "WAITED_MS/s", "WINDOWS_NS");
	*header = true;
	window_range(wins, sizeof(wins), now, old);
	printf("%-8llu %12.1f %6.1f%% %6.1f%% %6.1f%% %12.3f %12.3f %12.3f  %s\n",
	       (unsigned long long)vm_id, d[CVMSTAT_HALT_HALTS] / secs,
	       pct(d[CVMSTAT_HALT_POLL_OK], d[CVMSTAT_HALT_HALTS]),
	       pct(d[CVMSTAT_HALT_POLL_FAIL], d[CVMSTAT_HALT_HALTS]),
	       pct(d[CVMSTAT_HALT_NOT_POLLED], d[CVMSTAT_HALT_HALTS]),
	       d[CVMSTAT_HALT_POLL_OK_NS] / 1e6 / secs,
	       d[CVMSTAT_HALT_POLL_FAIL_NS] / 1e6 / secs,
	       d[CVMSTAT_HALT_WAIT_NS] / 1e6 / secs, wins);
}

const struct cvm_command cvm_cmd_haltpoll = {
	.name = "halt-poll",
	.main = haltpoll_main,
	.summary = "show and change halt polling, globally and per VM",
	.usage =
	"Usage: cvmstat halt-poll [--vm PID]\n"
	"       cvmstat halt-poll NAME=VALUE...\n"
	"       cvmstat halt-poll --vm PID vm_halt_poll_ns=NS | --clear\n"
	"       cvmstat halt-poll --restore [--vm PID]\n"
	"\n"
	"Without a change: KVM's global halt-polling parameters and the maximum\n"
	"poll window of every live VM (or of the VMs of process PID), with\n"
	"where it comes from: global (halt_poll_ns), vmm (KVM_CAP_HALT_POLL) or\n"
	"cvmstat.  NAME is one of halt_poll_ns, halt_poll_ns_grow,\n"
	"halt_poll_ns_grow_start, halt_poll_ns_shrink (global, through\n"
	"/sys/module/kvm/parameters: no module needed) or vm_halt_poll_ns (the\n"
	"maximum of the VMs of --vm PID, through cvmstat.ko); VALUE is\n"
	"0..4294967295.  Each change takes effect at a vCPU's next halt.\n"
	"\n"
	"  --vm PID    the VMs of VMM process PID\n"
	"  --clear     give those VMs back to the global halt_poll_ns\n"
	"  --restore   put back what cvmstat changed: the global parameters (kept\n"
	"              in /run/cvmstat/halt-poll) and every VM (or those of PID)\n"
	"  -h, --help  this help\n",
};
