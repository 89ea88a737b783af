/* users.c - the users calls of the API (login is in client.c). */
#include <string.h>

#include "client/client_int.h"
#include "common/json.h"

int custos_user_register(struct custos_client *c, const char *user, const char *role,
                         const char *org, const char *password, char id[CUSTOS_ID_MAX])
{
	json_t *req;
	int rc;

	if ((rc = cl_need(c, "user", user)) || (rc = cl_need(c, "role", role)) ||
	    (rc = cl_need(c, "password", password)))
		return rc;
	if (!(req = cl_obj(c)))
		return CUSTOS_ENOMEM;
	if (!(rc = cl_set_str(c, req, "user", user)) && !(rc = cl_set_str(c, req, "role", role)) &&
	    !(rc = org ? cl_set_str(c, req, "org", org) : 0) &&
	    !(rc = cl_set_str(c, req, "password", password)))
		rc = cl_call_id(c, "POST", "/v1/users", req, id, NULL);
	cu_json_free_secret(req);
	return rc;
}

int custos_user_get(struct custos_client *c, const char *user, char **json)
{
	return cl_get_one(c, "users", "user", user, json);
}

int custos_user_list(struct custos_client *c, char **json)
{
	return cl_get_list(c, "/v1/users", json);
}

int custos_user_update(struct custos_client *c, const char *user, const char *role, const char *org)
{
	char path[CL_PATH_MAX];
	json_t *req;
	int rc;

	if ((rc = cl_need(c, "user", user)) ||
	    (rc = cl_path(c, path, sizeof(path), "users", user, NULL)))
		return rc;
	if (!role && !org)
		return cl_fail(c, CUSTOS_EINVAL, "nothing to update: give a role or an org");
	if (!(req = cl_obj(c)))
		return CUSTOS_ENOMEM;
	if (!(rc = role ? cl_set_str(c, req, "role", role) : 0) &&
	    !(rc = org ? cl_set_str(c, req, "org", org) : 0))
		rc = cl_call(c, "PUT", path, req, NULL);
	json_decref(req);
	return rc;
}

int custos_user_password(struct custos_client *c, const char *user, const char *old_password,
                         const char *new_password)
{
	char path[CL_PATH_MAX];
	json_t *req;
	int rc;

	if ((rc = cl_need(c, "user", user)) ||
	    (rc = cl_need(c, "the old password", old_password)) ||
	    (rc = cl_need(c, "the new password", new_password)) ||
	    (rc = cl_path(c, path, sizeof(path), "users", user, "/password")))
		return rc;
	if (!(req = cl_obj(c)))
		return CUSTOS_ENOMEM;
	if (!(rc = cl_set_str(c, req, "old", old_password)) &&
	    !(rc = cl_set_str(c, req, "new", new_password)))
		rc = cl_call(c, "POST", path, req, NULL);
	cu_json_free_secret(req);
	return rc;
}

int custos_user_reset(struct custos_client *c, const char *user, char **json)
{
	char path[CL_PATH_MAX];
	json_t *req;
	int rc;

	if (json)
		*json = NULL;
	if ((rc = cl_need(c, "user", user)) ||
	    (rc = cl_path(c, path, sizeof(path), "users", user, "/reset")))
		return rc;
	if (!(req = cl_obj(c)))
		return CUSTOS_ENOMEM;
	rc = cl_call_text(c, "POST", path, req, json);
	json_decref(req);
	return rc;
}

int custos_user_delete(struct custos_client *c, const char *user)
{
	char path[CL_PATH_MAX];
	int rc;

	if ((rc = cl_need(c, "user", user)) ||
	    (rc = cl_path(c, path, sizeof(path), "users", user, NULL)))
		return rc;
	return cl_call(c, "DELETE", path, NULL, NULL);
}
