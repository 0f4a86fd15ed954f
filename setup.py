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

package_name = 'person_segmentation'

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
    entry_points={
        'console_scripts': [
            'person_segmentation_node = person_segmentation.node.entry_point:main',
            'segment_video = person_segmentation.cli.segment_video:main',
            'video_to_bag = person_segmentation.cli.video_to_bag:main',
            'replay = person_segmentation.cli.replay:main',
        ],
    },
)
