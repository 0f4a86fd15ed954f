# Copyright 2026 person_segmentation maintainers
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""
The bond nav2's lifecycle_manager expects from every node it manages, where bondpy exists.

nav2's lifecycle_manager activates its nodes one by one and, after each, waits up to half its
``bond_timeout`` (4 s by default) for a bond with that node: heartbeats (bond/msg/Status) on the
``bond`` topic of the node's namespace, with the node's name as the bond's id. Without one it
aborts the bring-up ("Server ... was unable to be reached after 4.00s by bond"), unless its
``bond_timeout`` is 0. nav2's own nodes (nav2_util's LifecycleNode, bondcpp) form the bond in
``on_activate`` and break it in ``on_deactivate``, beat every ``bond_heartbeat_period`` (0.1 s;
0 turns the bond off), and never break it from their side when the manager's heartbeats stop
(``bond_disable_heartbeat_timeout``): the manager watches them, not the other way round.

This does the same with bondpy (ROS 2 package ``bondpy``, from bond_core 4 on: Humble, Jazzy,
Kilted). Two things in bondpy differ from bondcpp and are mended here: it subscribes to the
``bond`` topic with a queue of 1, which every bond in the namespace shares, so the manager's
heartbeats are lost among the other nodes' and the bond breaks at random
(https://github.com/ros/bond_core/issues/95): the subscription is replaced by one of depth 100,
as bondcpp's; and its heartbeat timeout reads ``bond_disable_heartbeat_timeout`` by declaring
it on every timeout, which raises from the second time on: the timeout is simply ignored, as
nav2's nodes ask. Without bondpy (pip installs; it is not on PyPI) there is no bond: the node
logs so once, and the lifecycle manager needs ``bond_timeout: 0.0`` (docs/node.md). bondpy is
imported only when a bond is formed, so this module loads anywhere.
"""

import importlib
from typing import Any, Optional

#: the topic nav2's lifecycle_manager and its nodes exchange heartbeats on
BOND_TOPIC = 'bond'
#: nav2's nodes' heartbeat timeout (seconds; sent with each heartbeat, for debugging)
HEARTBEAT_TIMEOUT = 4.0
#: bondcpp's subscription depth (bondpy's is 1: see the module docstring)
SUBSCRIPTION_DEPTH = 100
#: what the log says where bondpy is missing
NO_BONDPY = ('bondpy is not installed: no bond with the lifecycle manager (give the nav2 '
             'lifecycle_manager bond_timeout: 0.0; docs/node.md, Lifecycle)')

_server_bond_class: Any = None


def _bond_modules():
    """Return (bondpy's Bond class, bond/msg/Status), or None where bondpy is not installed."""
    try:
        bondpy = importlib.import_module('bondpy.bondpy')
        status = importlib.import_module('bond.msg').Status
    except ImportError:
        return None
    return bondpy.Bond, status


def _server_bond(bond_class):
    """Return bondpy's Bond as a managed node's side of the bond (it never times out)."""
    global _server_bond_class
    if _server_bond_class is None or _server_bond_class.__bases__[0] is not bond_class:
        class ServerBond(bond_class):
            """The node's side: only the lifecycle manager breaks the bond when beats stop."""

            def _on_heartbeat_timeout(self):  # nav2: bond_disable_heartbeat_timeout
                pass

        _server_bond_class = ServerBond
    return _server_bond_class


class NodeBond:
    """The managed node's bond with its lifecycle manager, from activate to deactivate."""

    def __init__(self, bond, node):
        self._bond = bond
        self._node = node

    @classmethod
    def form(cls, node, heartbeat_period: float) -> Optional['NodeBond']:
        """
        Start beating on ``bond`` with the node's name as id; None without bondpy.

        ``node`` is the rclpy node (its name and namespace are the bond's, as nav2's manager
        expects them).
        """
        modules = _bond_modules()
        if modules is None:
            return None
        bond_class, status = modules
        bond = _server_bond(bond_class)(node, BOND_TOPIC, node.get_name())
        bond.heartbeat_period = float(heartbeat_period)
        bond.heartbeat_timeout = HEARTBEAT_TIMEOUT
        bond.start()
        # bondpy's own subscription keeps 1 message of the shared topic: replace it
        node.destroy_subscription(bond.sub)
        bond.sub = node.create_subscription(status, BOND_TOPIC, bond._on_bond_status,
                                            SUBSCRIPTION_DEPTH)
        return cls(bond, node)

    @property
    def bond(self):
        """Return bondpy's Bond (for tests and diagnostics)."""
        return self._bond

    def break_(self) -> None:
        """Tell the manager this side goes (deactivate, shutdown) and stop beating."""
        # through the node first, so that its executor lets go of them (bondpy destroys its
        # subscription and publisher itself, which leaves them in the node's lists)
        self._node.destroy_subscription(self._bond.sub)
        self._bond.shutdown()  # publishes "not active" once more, then stops
        self._node.destroy_publisher(self._bond.pub)
