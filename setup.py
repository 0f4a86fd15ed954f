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

from glob import glob

from setuptools import find_packages, setup
from setuptools.command.develop import develop

package_name = 'person_segmentation'


class Develop(develop):
    """
    Editable installs (colcon --symlink-install, pip -e): copy ``scripts`` as they are.

    setuptools' develop wraps each script in a stub that imports pkg_resources (~0.1 s) before
    the script runs; the node's executable must reach its Ctrl-C handler without such a delay
    (person_segmentation/node/main.py). Setuptools 80 and later leave develop to pip, which
    copies scripts anyway. The copy does not follow later edits of the script: reinstall.
    """

    def install_script(self, dist, script_name, script_text, dev_path=None):
        from setuptools.command.easy_install import ScriptWriter
        body = script_text.split('\n', 1)[1]  # below the #! line, which gets this Python's
        self.write_script(script_name, (ScriptWriter.get_header(script_text) + body).encode(),
                          'b')


setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test', 'test.*', 'bench']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + package_name]),
        ('share/' + package_name, ['package.xml']),
        ('share/' + package_name + '/launch', sorted(glob('launch/*.launch.py'))),
        ('share/' + package_name + '/config',
         sorted(glob('config/*.yaml') + glob('config/*.xml'))),
    ],
    install_requires=['setuptools'],
    zip_safe=True,
    maintainer='person_segmentation maintainers',
    maintainer_email='maintainers@person-segmentation.dev',
    description='DeepLab person segmentation for ROS 2 camera streams, with video and bag tools.',
    license='Apache-2.0',
    tests_require=['pytest'],
    # The node's executable is a script of our own, not a console-script entry point: the
    # wrapper setuptools generates for one spends ~50 ms finding the entry point before any
    # of our code runs, and a Ctrl-C then ended the node with a traceback (exit code -2).
    scripts=['bin/person_segmentation_node'],
    cmdclass={'develop': Develop},
    entry_points={
        'console_scripts': [
            'segment_video = person_segmentation.cli.segment_video:main',
            'video_to_bag = person_segmentation.cli.video_to_bag:main',
            'replay = person_segmentation.cli.replay:main',
        ],
    },
)
