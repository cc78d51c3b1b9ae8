# --- Eddy's runtime for a note's Python application -------------------------
# It gives the paragraphs what a note's Python worker gives them (st_env,
# s_env and Zeppelin's other names, the PyFlink imports) and makes the
# whole program ONE Flink job: every INSERT (execute_sql, execute_insert,
# statement sets) joins one statement set, and DataStream pipelines join
# the same job, which _eddy_run submits once, after the last paragraph.
# The job's name, id, checkpoints and restore come from the cluster that
# runs the program (Flink's PythonDriver in application mode).
import re as _eddy_re

from pyflink.common import *
from pyflink.datastream import *
from pyflink.table import *
from pyflink.table.catalog import *
from pyflink.table.expressions import *
from pyflink.table.udf import *
from pyflink.table.window import *
import pyflink
from pyflink.java_gateway import get_gateway as _eddy_get_gateway
from pyflink.table import table_result as _eddy_table_result


class EddyApplicationError(RuntimeError):
    """Raised by what a note may do but an application cannot."""


def _eddy_settings():
    """The table environment's settings: streaming, and the persistent
    catalog of the cluster's catalog store when it has one, which a table
    environment only opens under another built-in catalog name."""
    conf = Configuration()
    j_conf = _eddy_get_gateway().jvm.org.apache.flink.configuration.GlobalConfiguration.loadConfiguration()
    entries = dict(j_conf.toMap())
    start = None
    if entries.get("table.catalog-store.kind") and entries.get("table.builtin-catalog-name"):
        for k, v in entries.items():
            if k.startswith("table.catalog-store."):
                conf.set_string(k, v)
        start = entries["table.builtin-catalog-name"]
        conf.set_string("table.builtin-catalog-name", "default_catalog")
    return EnvironmentSettings.new_instance().in_streaming_mode().with_configuration(conf).build(), start


s_env = StreamExecutionEnvironment.get_execution_environment()
_eddy_env_settings, _eddy_start_catalog = _eddy_settings()
st_env = StreamTableEnvironment.create(s_env, environment_settings=_eddy_env_settings)
if _eddy_start_catalog and _eddy_start_catalog in st_env.list_catalogs():
    st_env.use_catalog(_eddy_start_catalog)
senv, stenv, b_env = s_env, st_env, s_env

_eddy_set = st_env.create_statement_set()
_eddy_state = {"inserts": 0, "datastream": False}
_eddy_statement_set_execute = StatementSet.execute
_eddy_env_execute = StreamExecutionEnvironment.execute
_eddy_execute_sql = TableEnvironment.execute_sql


class _EddyDeferred:
    """The result of an INSERT that runs in the application's one job,
    submitted after the last paragraph."""

    def wait(self, timeout_ms=None):
        return None

    def get_job_client(self):
        return None

    def print(self):
        return None


def _eddy_words(statement):
    """The first two words of a statement, upper-cased, past comments."""
    text = _eddy_re.sub(r"^(\s+|--[^\n]*(\n|$)|/\*.*?\*/)*", "", statement, flags=_eddy_re.S)
    return [w.upper() for w in _eddy_re.findall(r"[A-Za-z_]+", text[:64])[:2]] + ["", ""]


def _eddy_check_env(env):
    if env._j_tenv != st_env._j_tenv:
        raise EddyApplicationError("an application runs the INSERTs of st_env only, not of another table environment")


def _eddy_add_insert_sql(env, statement):
    _eddy_check_env(env)
    _eddy_set.add_insert_sql(statement)
    _eddy_state["inserts"] += 1
    return _EddyDeferred()


def _eddy_sql(env, stmt):
    w0, w1 = _eddy_words(stmt)[:2]
    if w0 == "INSERT":
        return _eddy_add_insert_sql(env, stmt)
    if w0 == "EXECUTE" and w1 == "INSERT":
        return _eddy_add_insert_sql(env, _eddy_re.sub(r"(?is)^.*?\bEXECUTE\s+", "", stmt, count=1))
    if w0 in ("SELECT", "WITH", "VALUES", "TABLE"):
        raise EddyApplicationError("a query only displays results, which an application cannot show: " + stmt.strip()[:80])
    if w0 == "BEGIN" or w0 == "EXECUTE":
        raise EddyApplicationError("write each INSERT of a statement set alone (st_env.execute_sql('INSERT ...')) "
                                   "or use st_env.create_statement_set(): " + stmt.strip()[:80])
    return _eddy_execute_sql(env, stmt)


def _eddy_execute_insert(table, table_path_or_descriptor, overwrite=False):
    _eddy_set.add_insert(table_path_or_descriptor, table, overwrite)
    _eddy_state["inserts"] += 1
    return _EddyDeferred()


class _EddyStatementSet:
    """A statement set whose INSERTs join the application's one job."""

    def __init__(self, env):
        _eddy_check_env(env)

    def add_insert_sql(self, stmt):
        _eddy_add_insert_sql(st_env, stmt)
        return self

    def add_insert(self, target_path_or_descriptor, table, overwrite=False):
        _eddy_execute_insert(table, target_path_or_descriptor, overwrite)
        return self

    def explain(self, *extra_details):
        return _eddy_set.explain(*extra_details)

    def execute(self):
        return _EddyDeferred()


def _eddy_refuse(what):
    def refuse(*args, **kwargs):
        raise EddyApplicationError(what)
    return refuse


def _eddy_execute_datastream(env, job_name=None):
    _eddy_state["datastream"] = True
    return None


TableEnvironment.execute_sql = _eddy_sql
TableEnvironment.create_statement_set = lambda env: _EddyStatementSet(env)
Table.execute_insert = _eddy_execute_insert
Table.execute = _eddy_refuse("Table.execute() runs a query to display its rows, which an application cannot show")
Table.to_pandas = _eddy_refuse("to_pandas() collects a table's rows, which an application cannot show")
_eddy_table_result.TableResult.collect = _eddy_refuse("collect() reads a result's rows, which an application cannot show")
StreamExecutionEnvironment.execute = _eddy_execute_datastream
StreamExecutionEnvironment.execute_async = _eddy_execute_datastream


def _eddy_run():
    """Submits the application's one job: the INSERTs, and the DataStream
    pipelines if a paragraph executed s_env."""
    if _eddy_state["datastream"]:
        if _eddy_state["inserts"]:
            _eddy_set.attach_as_datastream()
        _eddy_env_execute(s_env)
    elif _eddy_state["inserts"]:
        _eddy_statement_set_execute(_eddy_set)
    else:
        raise EddyApplicationError("the program wrote to no table: an application needs at least one INSERT")
# --- end of Eddy's runtime ---------------------------------------------------
