"""Eddy's Python worker: runs one note's %flink.pyflink and %flink.ipyflink paragraphs.

Eddy starts one worker per notebook session, on the note's first Python paragraph, with the
path of a JSON settings file as its only argument. The worker reads requests from file
descriptor 3 and writes events to file descriptor 4, one JSON object per line; its own stdout
and stderr (and those of the PyFlink client JVM it launches) are Eddy's log, never the
paragraph's. docs/python.md documents the protocol.
"""

import ast
import base64
import hashlib
import io
import json
import os
import re
import sys
import threading
import time
import traceback
import _thread

PARAGRAPH_FILE = "<paragraph>"


class Channel:
    """Writes events to Eddy, one JSON line each, from any thread."""

    def __init__(self, fd):
        self._out = os.fdopen(fd, "w", encoding="utf-8", buffering=1)
        self._lock = threading.Lock()

    def send(self, event):
        line = json.dumps(event, ensure_ascii=False, default=str)
        with self._lock:
            self._out.write(line + "\n")
            self._out.flush()


class Output:
    """sys.stdout / sys.stderr of user code: what it writes goes to the running paragraph,
    gathered for up to FLUSH_EVERY (or FLUSH_SIZE characters) into one event."""

    FLUSH_EVERY = 0.05
    FLUSH_SIZE = 64 * 1024

    def __init__(self, worker, name):
        self._worker, self.name = worker, name
        self._lock = threading.Lock()
        self._parts, self._size = [], 0
        self.encoding = "utf-8"

    def write(self, text):
        if text:
            with self._lock:
                self._parts.append(str(text))
                self._size += len(text)
                full = self._size >= self.FLUSH_SIZE
            if full:
                self.flush()
        return len(text)

    def flush(self):
        self._worker.flush_output()

    def take(self):
        """Returns what was written since the last take."""
        with self._lock:
            text, self._parts, self._size = "".join(self._parts), [], 0
        return text

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def isatty(self):
        return False

    def fileno(self):
        raise io.UnsupportedOperation("a paragraph's output has no file descriptor")


class Interrupted(KeyboardInterrupt):
    """Raised in a paragraph that Eddy interrupted."""


class Zeppelin:
    """The `z` of Zeppelin's PyFlink: shows tables through Eddy's live results."""

    def __init__(self, worker):
        self._worker = worker

    def show(self, obj, stream_type="update", template=None, **props):
        """Shows a PyFlink Table (live, as a SQL query's result) or a pandas DataFrame."""
        w = self._worker
        if hasattr(obj, "_j_table"):
            w.show_table(obj, stream_type, template, props)
        elif hasattr(obj, "to_dict") and hasattr(obj, "columns") and hasattr(obj, "itertuples"):
            w.show_frame(obj)
        else:
            print(obj)

    # Zeppelin's dynamic forms: each call shows a form on the paragraph and returns the
    # value chosen in it, or its default until one is.
    def input(self, name, defaultValue="", **_):
        return self._form("TextBox", name, str(defaultValue), None)

    textbox = input

    def password(self, name, **_):
        return self._form("Password", name, None, None)

    def select(self, name, options, defaultValue=None, **_):
        opts = form_options(options)
        if defaultValue is None and opts:
            defaultValue = opts[0]["value"]
        return self._form("Select", name, None if defaultValue is None else str(defaultValue), opts)

    def checkbox(self, name, options, defaultChecked=None, **_):
        opts = form_options(options)
        if defaultChecked is None:
            defaultChecked = [o["value"] for o in opts]
        value = self._form("CheckBox", name, [str(v) for v in defaultChecked], opts)
        return list(value) if isinstance(value, (list, tuple)) else [value]

    def _form(self, kind, name, default, options):
        form = {"type": kind, "name": name, "displayName": name, "hidden": False}
        if default is not None:
            form["defaultValue"] = default
        if options is not None:
            form["options"] = options
        self._worker.emit("form", form=form)
        params = self._worker.params
        return params[name] if name in params else default


class LazyEnv:
    """A batch environment made on first use, so notes that never use it do not pay for it."""

    def __init__(self, make):
        self._make, self._env = make, None

    def __getattr__(self, name):
        if self._env is None:
            self._env = self._make()
        return getattr(self._env, name)


class Worker:
    """Runs one note's Python paragraphs, one at a time, in one namespace, and tells Eddy
    what they print, show, submit and register."""

    def __init__(self, settings, channel):
        self.settings = settings
        self.channel = channel
        self.current = None  # id of the running request
        self.interrupted = False
        self.job_clients = []  # of the running paragraph
        self.registered = {}  # function name -> (wrapper, system?)
        self.shared_digest = None  # of the module last handed to Eddy
        self.table_seq = 0
        self.showing = False  # z.show is reading a result
        self.shell = None
        self.applied = set()  # Flink options the last paragraph set
        self.params = {}  # the running paragraph's form values
        self.emit_lock = threading.RLock()
        self.out, self.err = Output(self, "stdout"), Output(self, "stderr")
        self.ns = {"__name__": "__main__", "__builtins__": __builtins__}

    # --- events ---------------------------------------------------------------------------

    def emit(self, ev, **fields):
        """Sends an event of the running request; output written before it goes first."""
        with self.emit_lock:
            self._flush_output()
            self._send(ev, fields)

    def flush_output(self):
        with self.emit_lock:
            self._flush_output()

    def _flush_output(self):
        for out in (self.out, self.err):
            text = out.take()
            if text:
                self._send(out.name, {"text": text})

    def _send(self, ev, fields):
        fields["ev"] = ev
        if self.current is not None:
            fields.setdefault("id", self.current)
        self.channel.send(fields)

    # --- start ----------------------------------------------------------------------------

    def start(self):
        t0 = time.time()
        from pyflink.common import Configuration
        from pyflink.datastream import StreamExecutionEnvironment
        from pyflink.table import EnvironmentSettings, StreamTableEnvironment, TableEnvironment
        from pyflink.java_gateway import get_gateway

        self.gateway = get_gateway()
        jvm_ms = (time.time() - t0) * 1000
        entries = self.flink_conf()
        # The gateway opens a session's built-in catalog from the catalog
        # store when the store has one of that name; a table environment
        # does not, and would make an empty in-memory catalog of it. So the
        # worker names its built-in catalog otherwise and uses the store's.
        start_catalog = None
        if entries.get("table.catalog-store.kind") and entries.get("table.builtin-catalog-name"):
            start_catalog = entries["table.builtin-catalog-name"]
            entries["table.builtin-catalog-name"] = "default_catalog"
        conf = Configuration()
        for k, v in entries.items():
            conf.set_string(k, str(v))
        self.conf = conf
        # Not get_execution_environment: outside Flink's CLI that makes a
        # local environment, whose DataStream jobs would run in a mini
        # cluster inside the worker. This one submits where the
        # configuration says (execution.target: remote, rest.address/port).
        j_env = self.gateway.jvm.org.apache.flink.streaming.api.environment.StreamExecutionEnvironment(
            conf._j_configuration)
        s_env = StreamExecutionEnvironment(j_env)
        st_env = StreamTableEnvironment.create(
            s_env,
            environment_settings=EnvironmentSettings.new_instance()
            .in_streaming_mode().with_configuration(conf).build())

        def use_start_catalog(env):
            if start_catalog and start_catalog in env.list_catalogs():
                env.use_catalog(start_catalog)
            return env

        use_start_catalog(st_env)

        def batch():
            return use_start_catalog(TableEnvironment.create(
                EnvironmentSettings.new_instance().in_batch_mode().with_configuration(conf).build()))

        bt_env = LazyEnv(batch)
        self.bt_env = bt_env
        self.install_hooks()
        z = Zeppelin(self)
        ns = self.ns
        exec(PRELUDE, ns)
        # Zeppelin's b_env was a DataSet ExecutionEnvironment, which Flink 2 no longer has;
        # batch DataStream programs use s_env in batch mode.
        ns.update({"s_env": s_env, "senv": s_env, "st_env": st_env, "stenv": st_env,
                   "b_env": s_env, "bt_env": bt_env, "btenv": bt_env, "z": z})
        self.st_env = st_env
        self.emit("ready", python=sys.version.split()[0], pyflink=pyflink_version(),
                  jvmMs=round(jvm_ms), startMs=round((time.time() - t0) * 1000), pid=os.getpid())

    def flink_conf(self):
        """The Flink configuration: the cluster's config file where Eddy has one, then Eddy's keys."""
        out = {}
        path = self.settings.get("confFile")
        if path and os.path.exists(path):
            import yaml
            with open(path, encoding="utf-8") as f:
                loaded = yaml.safe_load(f) or {}
            for k, v in flatten(loaded).items():
                out[k] = v
        out.update(self.settings.get("conf") or {})
        return out

    def install_hooks(self):
        """Follows the jobs paragraphs submit and the Python functions they register."""
        from pyflink.table import table_result, TableEnvironment
        from pyflink.table.udf import UserDefinedFunctionWrapper
        worker = self

        original_init = table_result.TableResult.__init__

        def init(result, j_table_result):
            original_init(result, j_table_result)
            try:
                client = j_table_result.getJobClient()
                if client.isPresent():
                    worker.job_started(client.get())
            except Exception:  # a result without a job
                pass

        table_result.TableResult.__init__ = init

        def print_result(result):
            worker.show_result(result._j_table_result, "print", None, {})

        table_result.TableResult.print = print_result

        from pyflink.datastream import StreamExecutionEnvironment
        original_async = StreamExecutionEnvironment.execute_async

        def execute_async(env, job_name="Flink Streaming Job"):
            client = original_async(env, job_name)
            worker.job_started(client._j_job_client)
            return client

        def execute(env, job_name="Flink Streaming Job"):
            """Submits and waits, as execute does, with the job known to Eddy, so that
            cancelling the paragraph cancels it."""
            return execute_async(env, job_name).get_job_execution_result().result()

        StreamExecutionEnvironment.execute_async = execute_async
        StreamExecutionEnvironment.execute = execute

        def wrap(method, system):
            original = getattr(TableEnvironment, method)

            def register(env, name, function, *args, **kwargs):
                out = original(env, name, function, *args, **kwargs)
                if isinstance(function, UserDefinedFunctionWrapper):
                    worker.registered[name] = (function, system)
                return out
            setattr(TableEnvironment, method, register)

        wrap("create_temporary_system_function", True)
        wrap("create_temporary_function", False)

        def register_function(env, name, function):
            """Zeppelin's (and Flink 1.x's) name for a temporary system function."""
            return env.create_temporary_system_function(name, function)

        TableEnvironment.register_function = register_function

    def job_started(self, j_client):
        self.job_clients.append(j_client)
        self.emit("job", jobId=j_client.getJobID().toString())

    # --- requests -------------------------------------------------------------------------

    def run(self, req):
        self.current, self.interrupted, self.job_clients = req["id"], False, []
        self.params = req.get("params") or {}
        self.apply_properties(req)
        ok, error = True, None
        try:
            if req.get("mode") == "ipyflink":
                error = self.run_ipython(req["code"])
            else:
                error = self.run_python(req["code"])
        except BaseException as e:  # noqa: BLE001 - everything is reported on the paragraph
            error = describe(e)
        if error is not None:
            ok = False
            if self.interrupted:
                error = {"type": "Interrupted", "message": "interrupted", "traceback": "", "line": None}
        functions = self.functions_to_share()
        sys.stdout, sys.stderr = self.out, self.err
        self.emit("done", ok=ok, error=error, functions=functions)
        self.current = None

    def apply_properties(self, req):
        """Sets the paragraph's Flink options (job name, parallelism…) on the table
        environments for this run; a key the last paragraph set and this one does not goes
        back to the worker's configuration."""
        props = {"pipeline.name": req.get("jobName") or "eddy-python"}
        props.update(req.get("conf") or {})
        envs = [self.st_env] + ([self.bt_env._env] if self.bt_env._env is not None else [])
        for env in envs:
            conf = env.get_config().get_configuration()
            for k in self.applied - props.keys():
                base = self.conf.get_string(k, "")
                if base:
                    conf.set_string(k, base)
                else:
                    conf.remove_config(k)
            for k, v in props.items():
                conf.set_string(k, str(v))
        self.applied = set(props)

    def run_python(self, code):
        """Zeppelin's %flink.pyflink: runs the code, printing the value of a last expression."""
        try:
            tree = ast.parse(code, PARAGRAPH_FILE, "exec")
        except SyntaxError as e:
            return describe(e)
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        try:
            exec(compile(tree, PARAGRAPH_FILE, "exec"), self.ns)
            if last is not None:
                value = eval(compile(last, PARAGRAPH_FILE, "eval"), self.ns)
                if value is not None:
                    print(repr(value))
        except BaseException as e:  # noqa: BLE001
            return describe(e)
        return None

    def run_ipython(self, code):
        shell = self.ipython()
        result = shell.run_cell(code, store_history=True)
        err = result.error_before_exec or result.error_in_exec
        if err is None:
            return None
        return describe(err)

    def ipython(self):
        if self.shell is None:
            self.shell = make_shell(self)
        return self.shell

    def interrupt(self):
        """Stops the running paragraph: cancels its jobs, then interrupts its Python code."""
        if self.current is None:
            return
        self.interrupted = True
        for client in list(self.job_clients):
            try:
                client.cancel()
            except Exception:  # already ended
                pass
        if not self.showing:
            # z.show sees the flag within a poll; other code is interrupted
            # where it stands (a call into the JVM returns once its job is
            # cancelled).
            _thread.interrupt_main()

    def complete(self, req):
        items = []
        try:
            import jedi
            script = jedi.Interpreter(req["code"], [self.ns])
            for c in script.complete(req["line"], req["column"])[:200]:
                items.append({"label": c.name, "type": c.type, "complete": c.complete})
        except Exception as e:  # completion never fails a paragraph
            items = []
            self.channel.send({"ev": "log", "text": "completion failed: %r" % (e,)})
        self.channel.send({"ev": "completion", "id": req["id"], "items": items})

    # --- results --------------------------------------------------------------------------

    def show_table(self, table, stream_type, template, props):
        self.show_result(table._j_table.execute(), stream_type, template, props, table._j_table)

    def show_result(self, j_result, stream_type, template, props, j_table=None):
        """Streams a result's changelog to Eddy as a live table."""
        if stream_type not in ("update", "append", "single", "print"):
            raise ValueError("stream_type must be 'update', 'append' or 'single', not %r" % (stream_type,))
        client = j_result.getJobClient()
        if client.isPresent() and client.get() not in self.job_clients:
            self.job_started(client.get())
        schema = j_result.getResolvedSchema()
        zone = self.st_env.get_config().get_local_timezone()
        columns = []
        for c in schema.getColumns():
            t = c.getDataType().toString()
            col = {"name": c.getName(), "type": t}
            if "TIMESTAMP_LTZ" in t or "WITH LOCAL TIME ZONE" in t:
                col["zone"] = zone
            columns.append(col)
        printing = stream_type == "print"
        if printing:
            columns.insert(0, {"name": "op", "type": "STRING"})
        self.table_seq += 1
        table_id = self.table_seq
        self.emit("table", table=table_id, columns=columns,
                  mode="append" if printing else stream_type, template=template,
                  props={k: str(v) for k, v in props.items()})
        batches = self.gateway.jvm.io.eddy.python.ResultBatches(
            j_result.collectInternal(), j_result.getRowDataToStringConverter(), 20000)
        self.showing = True
        try:
            while True:
                if self.interrupted:
                    raise Interrupted()
                text = batches.poll(5000, 200)
                if text is None:
                    break
                rows = json.loads(text)
                if not rows:
                    continue
                if printing:
                    rows = [["+I", r[0]] + r[1:] for r in rows]
                self.emit("rows", table=table_id, rows=rows)
        finally:
            self.showing = False
            batches.close()
            if client.isPresent():
                try:
                    client.get().cancel()
                except Exception:  # it ended by itself
                    pass
            self.emit("tableEnd", table=table_id)

    def show_frame(self, frame):
        columns = [{"name": str(c), "type": str(t)} for c, t in zip(frame.columns, frame.dtypes)]
        self.table_seq += 1
        table_id = self.table_seq
        self.emit("table", table=table_id, columns=columns, mode="update", template=None, props={})
        rows = []
        for tup in frame.itertuples(index=False, name=None):
            rows.append(["+I"] + [None if is_missing(v) else str(v) for v in tup])
        for i in range(0, len(rows), 5000):
            self.emit("rows", table=table_id, rows=rows[i:i + 5000])
        self.emit("tableEnd", table=table_id)

    # --- functions shared with SQL --------------------------------------------------------

    def functions_to_share(self):
        """Writes the Python functions registered so far as a module SQL paragraphs can load.

        Each registered wrapper is pickled by value (cloudpickle, as PyFlink ships functions
        to TaskManagers), so the module has no side effects when the gateway imports it. A new
        version gets a new module name: the gateway keeps imported modules.
        """
        if not self.registered:
            return None
        import cloudpickle
        lines = ["# Python functions registered by a note's Python paragraphs; written by Eddy.",
                 "import base64", "import cloudpickle", ""]
        functions = []
        for name, (wrapper, system) in sorted(self.registered.items()):
            if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
                continue
            clean = clean_wrapper(wrapper)
            try:
                payload = base64.b64encode(cloudpickle.dumps(clean)).decode("ascii")
            except Exception as e:  # noqa: BLE001
                self.emit("stderr", text="Eddy cannot share the function %s with SQL paragraphs: %s\n" % (name, e))
                continue
            lines.append("%s = cloudpickle.loads(base64.b64decode(%r))" % (name, payload))
            functions.append({"name": name, "system": system, "kind": function_kind(wrapper)})
        if not functions:
            return None
        source = "\n".join(lines) + "\n"
        digest = hashlib.sha256(source.encode()).hexdigest()[:12]
        if digest == self.shared_digest:
            return None  # the gateway has these already
        self.shared_digest = digest
        module = "eddy_udfs_%s_%s" % (self.settings.get("moduleTag", "note"), digest)
        directory = self.settings["moduleDir"]
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, module + ".py")
        if not os.path.exists(path):
            tmp = path + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(source)
            os.replace(tmp, path)
        return {"module": module, "dir": directory, "functions": functions}


PRELUDE = """
from pyflink.common import *
from pyflink.datastream import *
from pyflink.table import *
from pyflink.table.catalog import *
from pyflink.table.descriptors import *
from pyflink.table.expressions import *
from pyflink.table.udf import *
from pyflink.table.window import *
import pyflink
"""


def make_shell(worker):
    """An IPython shell whose displays and tracebacks go to the running paragraph."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher

    def send(data):
        if "text/html" in data:
            worker.emit("display", type="HTML", data=data["text/html"])
        elif "text/plain" in data:
            worker.emit("display", type="TEXT", data=data["text/plain"])

    class Hook(DisplayHook):
        def __call__(self, result=None):
            if result is not None and hasattr(result, "_j_table"):
                worker.ns["z"].show(result)
                return
            if result is not None and hasattr(result, "itertuples") and hasattr(result, "columns"):
                worker.ns["z"].show(result)
                return
            super().__call__(result)

        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            send(format_dict)

    class Publisher(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kw):
            send(data)

    shell = InteractiveShell.instance(displayhook_class=Hook, display_pub_class=Publisher,
                                      user_ns=worker.ns, colors="nocolor")

    def showtraceback(*args, **kwargs):
        pass  # run_cell's result carries the error; the worker reports it

    shell.showtraceback = showtraceback
    shell.showsyntaxerror = showtraceback

    def show_in_pager(_shell, data, start=0, screen_lines=0, pager_cmd=None):
        """`obj?` and %pinfo print into the paragraph: it has no terminal to page in."""
        if isinstance(data, dict):
            data = data.get("text/plain", "")
        print(data)

    shell.set_hook("show_in_pager", show_in_pager)
    return shell


def describe(e):
    """The error of a failed paragraph: type, message, the traceback within the paragraph and
    its line (1-based, in the paragraph's code), and for a Java error its innermost cause."""
    if isinstance(e, SyntaxError) and e.filename == PARAGRAPH_FILE:
        text = "".join(traceback.format_exception_only(type(e), e))
        return {"type": type(e).__name__, "message": str(e.msg), "traceback": text, "line": e.lineno}
    tb = e.__traceback__
    frames = traceback.extract_tb(tb)
    # Drop the worker's own frames before the paragraph's.
    start = next((i for i, f in enumerate(frames) if f.filename == PARAGRAPH_FILE or
                  f.filename.startswith("<ipython-input") or f.filename.startswith("/tmp/ipykernel")
                  or "ipython-input" in f.filename), 0)
    line = None
    for f in frames[start:]:
        if f.filename == PARAGRAPH_FILE or "ipython-input" in f.filename or f.filename.startswith("<ipython"):
            line = f.lineno
    text = "Traceback (most recent call last):\n" + "".join(traceback.format_list(frames[start:])) + \
        "".join(traceback.format_exception_only(type(e), e))
    message = str(e)
    cause = java_cause(e)
    if cause:
        message = cause
    return {"type": type(e).__name__, "message": message, "traceback": text, "line": line}


def java_cause(e):
    """The innermost cause of a Java exception raised through py4j, in one line."""
    java = getattr(e, "java_exception", None)
    if java is None:
        return None
    try:
        t = java
        while t.getCause() is not None and t.getCause() != t:
            t = t.getCause()
        return t.toString()
    except Exception:  # the JVM is gone
        return None


def clean_wrapper(wrapper):
    """A copy of a PyFlink function wrapper without its Java function, so it pickles."""
    import copy
    clean = copy.copy(wrapper)
    clean._judf_placeholder = None
    return clean


def function_kind(wrapper):
    from pyflink.table.udf import (UserDefinedAggregateFunctionWrapper,
                                   UserDefinedTableFunctionWrapper)
    if isinstance(wrapper, UserDefinedTableFunctionWrapper):
        return "table"
    if isinstance(wrapper, UserDefinedAggregateFunctionWrapper):
        return "aggregate"
    return "scalar"


def form_options(options):
    """Zeppelin's form options, (value, label) pairs or bare values, as Eddy's forms list them."""
    out = []
    for o in options or []:
        if isinstance(o, (tuple, list)) and len(o) == 2:
            out.append({"value": str(o[0]), "displayName": str(o[1])})
        else:
            out.append({"value": str(o)})
    return out


def is_missing(v):
    try:
        return v is None or v != v  # NaN
    except Exception:  # arrays and the like
        return False


def flatten(d, prefix=""):
    out = {}
    for k, v in d.items():
        key = prefix + str(k)
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        elif isinstance(v, list):
            out[key] = ";".join(str(x) for x in v)
        else:
            out[key] = v if not isinstance(v, bool) else str(v).lower()
    return out


def pyflink_version():
    try:
        from pyflink.version import __version__
        return __version__
    except Exception:  # an older layout
        return ""


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        settings = json.load(f)
    channel = Channel(4)
    worker = Worker(settings, channel)
    try:
        worker.start()
    except BaseException as e:  # noqa: BLE001
        channel.send({"ev": "failed", "error": describe(e)})
        return 1
    sys.stdout, sys.stderr = worker.out, worker.err
    runs = []
    cond = threading.Condition()

    def read():
        with os.fdopen(3, "r", encoding="utf-8") as requests:
            for line in requests:
                req = json.loads(line)
                op = req.get("op")
                if op == "run":
                    with cond:
                        runs.append(req)
                        cond.notify()
                elif op == "interrupt":
                    worker.interrupt()
                elif op == "complete":
                    threading.Thread(target=worker.complete, args=(req,), daemon=True).start()
                elif op == "shutdown":
                    break
        with cond:
            runs.append(None)
            cond.notify()

    threading.Thread(target=read, daemon=True).start()

    def flush():
        while True:
            time.sleep(Output.FLUSH_EVERY)
            worker.flush_output()

    threading.Thread(target=flush, daemon=True).start()
    while True:
        try:
            with cond:
                while not runs:
                    cond.wait()
                req = runs.pop(0)
            if req is None:
                break
            worker.run(req)
        except KeyboardInterrupt:
            continue  # an interrupt that came between paragraphs
    return 0


if __name__ == "__main__":
    sys.exit(main())
