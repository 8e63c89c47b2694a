"""thread_cpu: a process's CPU by thread group, its Python threads named by the map the process writes."""
import os
import threading
import time

from tests.benchmarks import thread_cpu


def test_pools_are_grouped_and_other_names_kept():
    assert thread_cpu.group("ThreadPoolExecutor-1_12") == "ThreadPoolExecutor-1"
    assert thread_cpu.group("Thread-5 (_serve)") == "Thread-5 (_serve)"
    assert thread_cpu.group("kafka-io-status-notices") == "kafka-io-status-notices"


def test_split_sums_by_group_and_names_unknown_threads_by_their_os_name():
    before = {1: ("python", 1.0), 2: ("python", 2.0), 3: ("python", 0.5), 4: ("grpc_global_tim", 0.0)}
    after = {1: ("python", 1.5), 2: ("python", 2.25), 3: ("python", 0.75), 4: ("grpc_global_tim", 0.125),
             5: ("python", 0.25)}  # 5 started between the readings
    names = {1: "Thread-4 (_serve)", 2: "ThreadPoolExecutor-0_0", 5: "ThreadPoolExecutor-0_1"}
    assert thread_cpu.split(before, after, names) == {
        "Thread-4 (_serve)": 0.5, "ThreadPoolExecutor-0": 0.5, "[python]": 0.25, "[grpc_global_tim]": 0.125}


def test_a_busy_thread_of_this_process_is_found_by_its_name(tmp_path):
    thread_cpu.write_names(tmp_path, every_s=0.05)
    spun, read = threading.Event(), threading.Event()

    def spin():
        end = time.thread_time() + 0.3
        while time.thread_time() < end:
            pass
        spun.set()
        read.wait(10)  # alive until read: an ended thread is gone from /proc

    before = thread_cpu.times(os.getpid())
    spinner = threading.Thread(target=spin, name="spinner")
    spinner.start()
    spun.wait(10)
    after = thread_cpu.times(os.getpid())
    time.sleep(0.2)  # the names' next write
    read.set()
    spinner.join()
    spent = thread_cpu.split(before, after, thread_cpu.names(tmp_path, os.getpid()))
    assert spent["spinner"] >= 0.2
