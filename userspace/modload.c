// SPDX-License-Identifier: GPL-2.0
/*
 * modload: cvmstat.ko through libkmod, as modprobe does it: found by name
 * in the running kernel's module tree (where DKMS installs it), or loaded
 * from a path given by the user.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <libkmod.h>

#include "dev.h"
#include "modload.h"

#define MODNAME "cvmstat"

/* libkmod's own messages stay quiet: we print one line of our own. */
static void quiet_log(void *data, int priority, const char *file, int line,
		      const char *fn, const char *format, va_list args)
{
	(void)data, (void)priority, (void)file, (void)line, (void)fn;
	(void)format, (void)args;
}

/* A libkmod context, or NULL; @say: print why there is none. */
static struct kmod_ctx *ctx_new(bool say)
{
	struct kmod_ctx *ctx = kmod_new(NULL, NULL);

	if (ctx)
		kmod_set_log_fn(ctx, quiet_log, NULL);
	else if (say)
		cvm_err("libkmod: cannot start (out of memory?)");
	return ctx;
}

/* The installed module of that name, or NULL (a ref the caller drops). */
static struct kmod_module *lookup_installed(struct kmod_ctx *ctx)
{
	struct kmod_list *list = NULL, *l;
	struct kmod_module *mod = NULL;

	if (kmod_module_new_from_lookup(ctx, MODNAME, &list) < 0)
		return NULL;
	kmod_list_foreach(l, list) {
		struct kmod_module *m = kmod_module_get_module(l);

		if (!mod && kmod_module_get_path(m))
			mod = m;
		else
			kmod_module_unref(m);
	}
	kmod_module_unref_list(list);
	return mod;
}

enum cvm_mod_state cvm_module_state(void)
{
	struct kmod_ctx *ctx = ctx_new(false);
	struct kmod_module *mod = NULL;
	enum cvm_mod_state s = CVM_MOD_UNKNOWN;

	if (!ctx)
		return s;
	if (kmod_module_new_from_name(ctx, MODNAME, &mod) < 0)
		goto out;
	switch (kmod_module_get_initstate(mod)) {
	case KMOD_MODULE_LIVE:
	case KMOD_MODULE_BUILTIN:
		s = CVM_MOD_LIVE;
		break;
	case KMOD_MODULE_COMING:
		s = CVM_MOD_COMING;
		break;
	case KMOD_MODULE_GOING:
		s = CVM_MOD_GOING;
		break;
	default: {
		struct kmod_module *inst = lookup_installed(ctx);

		s = inst ? CVM_MOD_NOT_LOADED : CVM_MOD_NOT_INSTALLED;
		kmod_module_unref(inst);
	}
	}
out:
	kmod_module_unref(mod);
	kmod_unref(ctx);
	return s;
}

const char *cvm_module_state_name(enum cvm_mod_state s)
{
	static const char *const names[] = {
		[CVM_MOD_NOT_INSTALLED] = "not installed",
		[CVM_MOD_NOT_LOADED] = "not loaded",
		[CVM_MOD_LIVE] = "loaded",
		[CVM_MOD_COMING] = "loading",
		[CVM_MOD_GOING] = "unloading",
		[CVM_MOD_UNKNOWN] = "unknown",
	};

	return names[s];
}

const char *cvm_module_hint(void)
{
	static char buf[256];
	struct utsname u;

	switch (cvm_module_state()) {
	case CVM_MOD_NOT_LOADED:
		return "cvmstat.ko is not loaded: run `cvmstat load`";
	case CVM_MOD_NOT_INSTALLED:
		if (uname(&u))
			strcpy(u.release, "this kernel");
		snprintf(buf, sizeof(buf),
			 "cvmstat.ko is not installed for %s: install it with DKMS (`make dkms-install`, then `dkms install cvmstat/VERSION`) or load a build with `cvmstat load --path cvmstat.ko`",
			 u.release);
		return buf;
	case CVM_MOD_LIVE:
		return "cvmstat.ko is loaded but its device is missing (is devtmpfs mounted? see -d)";
	default:
		return "is cvmstat.ko loaded? (`cvmstat status`, `cvmstat load`)";
	}
}

static int load_error(int err, const char *what)
{
	switch (-err) {
	case EPERM:
	case EACCES:
		cvm_err("%s: %s (loading modules needs root)", what, strerror(-err));
		return EXIT_PERM;
	case ENOENT:
		cvm_err("%s: %s; %s", what, strerror(-err), cvm_module_hint());
		return EXIT_NOMODULE;
	case ENOEXEC:
		cvm_err("%s: %s (built for another kernel? rebuild it: `dkms build cvmstat/VERSION`)",
			what, strerror(-err));
		return EXIT_NOMODULE;
	default:
		cvm_err("%s: %s (see dmesg)", what, strerror(-err));
		return EXIT_SYSTEM;
	}
}

int cvm_module_load(const char *path, const char *options)
{
	struct kmod_ctx *ctx = ctx_new(true);
	struct kmod_module *mod = NULL;
	int ret, code = EXIT_OK;

	if (!ctx)
		return EXIT_SYSTEM;
	if (cvm_module_state() == CVM_MOD_LIVE) {
		printf("cvmstat.ko is already loaded%s\n",
		       options && *options ? " (parameters not applied: `cvmstat unload` first)" : "");
		goto out;
	}
	if (path) {
		ret = kmod_module_new_from_path(ctx, path, &mod);
		if (ret < 0) {
			code = load_error(ret, path);
			goto out;
		}
		ret = kmod_module_insert_module(mod, 0, options);
	} else {
		mod = lookup_installed(ctx);
		if (!mod) {
			code = load_error(-ENOENT, "cvmstat.ko");
			goto out;
		}
		ret = kmod_module_probe_insert_module(mod,
				KMOD_PROBE_APPLY_BLACKLIST, options, NULL,
				NULL, NULL);
	}
	if (ret < 0)
		code = load_error(ret, path ? path : kmod_module_get_path(mod));
	else if (ret > 0)
		code = load_error(-EPERM, "cvmstat.ko is blacklisted");
out:
	kmod_module_unref(mod);
	kmod_unref(ctx);
	return code;
}

int cvm_module_unload(void)
{
	struct kmod_ctx *ctx = ctx_new(true);
	struct kmod_module *mod = NULL;
	int ret, code = EXIT_OK;

	if (!ctx)
		return EXIT_SYSTEM;
	if (kmod_module_new_from_name(ctx, MODNAME, &mod) < 0 ||
	    kmod_module_get_initstate(mod) < 0) {
		printf("cvmstat.ko is not loaded\n");
		goto out;
	}
	ret = kmod_module_remove_module(mod, 0);
	if (ret == -EPERM || ret == -EACCES) {
		cvm_err("%s (unloading modules needs root)", strerror(-ret));
		code = EXIT_PERM;
	} else if (ret < 0) {
		cvm_err("%s%s", strerror(-ret),
			ret == -EBUSY || ret == -EAGAIN ? " (a cvmstat command still has the device open?)" : "");
		code = EXIT_SYSTEM;
	}
out:
	kmod_module_unref(mod);
	kmod_unref(ctx);
	return code;
}
