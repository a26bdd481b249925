#!/usr/bin/env python3
"""Generate the sample posts corpus for mbtikit (stdlib only, deterministic).

Writes, next to this script:
  posts.jsonl  labelled posts   {"id", "author", "text", "label"}  (~600 rows, ~120 authors)
  pool.jsonl   unlabelled posts {"id", "text"}                     (~800 rows)

Every post is composed from the hand-written fragment banks below (all written for
this project). For each post 1-2 "signal" fragments are drawn; each one picks an
axis and, with probability 1 - NOISE, the pole of the author's type on that axis,
otherwise the opposite pole, so the task is learnable but not trivially separable.
Neutral fragments fill the post to 1-3 sentences. About 5 % of posts add a sentence
that names a type or a cognitive function, so that label-leak masking has work.

Run:  python data/sample/make_posts.py      (same output, byte for byte, every time)
"""

import json
import os
import random

SEED = 20240517
NOISE = 0.25  # share of signal fragments drawn from the opposite pole
MENTION_RATE = 0.05  # share of posts that name a type or a function
N_POOL = 800

HERE = os.path.dirname(os.path.abspath(__file__))

TYPES = [
    "ISTJ",
    "ISFJ",
    "INFJ",
    "INTJ",
    "ISTP",
    "ISFP",
    "INFP",
    "INTP",
    "ESTP",
    "ESFP",
    "ENFP",
    "ENTP",
    "ESTJ",
    "ESFJ",
    "ENFJ",
    "ENTJ",
]
AXES = [("E", "I"), ("S", "N"), ("T", "F"), ("J", "P")]
DOMINANT = {
    "ISTJ": "Si",
    "ISFJ": "Si",
    "INFJ": "Ni",
    "INTJ": "Ni",
    "ISTP": "Ti",
    "ISFP": "Fi",
    "INFP": "Fi",
    "INTP": "Ti",
    "ESTP": "Se",
    "ESFP": "Se",
    "ENFP": "Ne",
    "ENTP": "Ne",
    "ESTJ": "Te",
    "ESFJ": "Fe",
    "ENFJ": "Fe",
    "ENTJ": "Te",
}

# Authors per type in posts.jsonl: imbalanced like a real forum (120 authors).
AUTHORS_PER_TYPE = {
    "INFP": 19,
    "INTP": 17,
    "INFJ": 15,
    "INTJ": 14,
    "ENFP": 9,
    "ENTP": 8,
    "ISTJ": 6,
    "ISTP": 6,
    "ISFJ": 5,
    "ISFP": 5,
    "ENFJ": 5,
    "ENTJ": 5,
    "ESTJ": 1,
    "ESFP": 1,
    "ESFJ": 2,
    "ESTP": 2,
}
# Sampling weight per type in pool.jsonl: skewed towards the rare ES** types.
POOL_WEIGHT = {t: (3 if t.startswith("ES") else 1) for t in TYPES}

FRAGMENTS = {
    "E": [
        "Went to three birthday parties this weekend and loved every minute.",
        "I get my best ideas when I'm talking things out with friends.",
        "Honestly I can't stand a quiet evening at home alone.",
        "Invited the whole team over for a barbecue on Saturday.",
        "Struck up a conversation with a stranger at the bus stop again.",
        "I'd rather have a big group dinner than eat by myself.",
        "Joined two new clubs this month just to meet people.",
        "After a long week, going out dancing is how I recharge.",
        "My phone is full of group chats and I answer all of them.",
        "I talk while I think, so sorry in advance for the long voice messages.",
        "Nothing beats a crowded concert with all your friends.",
        "I volunteered to give the presentation because I like being in front of people.",
        "Spent the whole lunch break chatting with the new coworkers.",
        "Working from home gets lonely fast, I miss the office buzz.",
        "I know almost everyone in my building by name now.",
        "Organised a game night and twelve people showed up.",
        "I feel drained if I don't see anyone for a couple of days.",
        "Called my best friend on the way home just to talk.",
        "Networking events are actually fun for me.",
        "Made friends with the whole table at the wedding.",
        "Busy cafes are my favourite place to work, I love the noise.",
        "I always say yes when someone asks if I want to hang out.",
        "Hosted a dinner party last night and I'm still buzzing.",
        "I'd pick a team project over solo work any day.",
        "Hit the karaoke bar with a big group after work.",
        "Talking to people energises me more than coffee.",
        "Went to a meetup where I didn't know anyone and stayed until closing.",
        "My weekends are booked with friends for the next month.",
    ],
    "I": [
        "Cancelled plans tonight and honestly I'm relieved to stay in.",
        "I need a full day alone after any big social event.",
        "Spent the evening reading in silence and it was perfect.",
        "I rehearse phone calls in my head before I make them.",
        "Small talk drains me, I'd rather have one deep conversation.",
        "Left the party early to go home and recharge.",
        "I prefer texting to calling, it gives me time to think.",
        "My ideal weekend is a long walk with headphones and no one around.",
        "I have two close friends and that's plenty.",
        "Working from home is great, nobody interrupts my thoughts.",
        "I think things over for days before I say anything.",
        "Ate lunch alone in the park again, best part of my day.",
        "Crowded places wear me out after about an hour.",
        "I keep a journal because writing helps me sort out my thoughts.",
        "Turned off my phone for the whole weekend and felt great.",
        "Group projects are exhausting, I work better on my own.",
        "I let the call go to voicemail and texted back later.",
        "Quiet mornings with tea before anyone else is awake are my favourite.",
        "I only speak up in meetings when I'm sure about what I want to say.",
        "Stayed in my room most of the holiday and recharged.",
        "Being around people all day leaves me needing silence.",
        "I'd rather watch a movie alone at home than go to a crowded cinema.",
        "Took the long way home just to have more time to myself.",
        "It takes me a long time to open up to new people.",
        "Spent Saturday alone building a puzzle, no regrets.",
        "Headphones on, door closed, finally some peace.",
        "I like listening more than talking in a group.",
        "Parties are fine but I usually end up in the kitchen with one person.",
    ],
    "S": [
        "I checked the reviews, the price per kilo and the expiry date before buying.",
        "Followed the recipe exactly, down to the gram.",
        "I remember what everyone wore at the dinner last year.",
        "Just give me the facts and the steps, I'll handle the rest.",
        "Fixed the leaking tap myself with a wrench and a video.",
        "I noticed the new paint colour in the hallway right away.",
        "I trust what I've seen work before more than some new theory.",
        "Measured the room twice before ordering the sofa.",
        "Spent the afternoon in the garden with my hands in the soil.",
        "I like instructions that are concrete and practical.",
        "The details matter, that typo on the poster bugs me.",
        "Cooked a proper meal tonight, the smell of garlic filled the flat.",
        "I compared the specs of five laptops before choosing.",
        "Hands-on learning works best for me, lectures not so much.",
        "I can tell the milk is off just by the smell.",
        "Kept the receipt and the warranty card in the folder, as always.",
        "I prefer realistic goals to big dreams.",
        "Repaired my bike chain this morning, felt good to use my hands.",
        "What actually happened matters more to me than what might happen.",
        "I know exactly how many steps it is from my door to the station.",
        "Tracked my expenses to the cent this month.",
        "I enjoy the texture of fresh bread more than I can explain.",
        "Stick to what's proven, that's my rule with money.",
        "I noticed the car was making a slightly different sound today.",
        "Cleaned the kitchen and sorted the spices by how often I use them.",
        "I like hobbies where you can see and touch the result, like woodworking.",
        "Read the manual cover to cover before setting up the printer.",
        "Give me a real example, not a theory.",
    ],
    "N": [
        "Had a wild idea in the shower about how cities could work without cars.",
        "I keep wondering what the world will look like in a hundred years.",
        "Every time I read something, I come up with five new project ideas.",
        "Spent the night reading about theories of consciousness.",
        "I love spotting patterns that connect totally different topics.",
        "What if dreams are just the brain running simulations?",
        "I skipped the instructions and figured it out by intuition.",
        "My mind wanders to possibilities while people are still explaining.",
        "The big picture matters more to me than the small details.",
        "Started imagining an entire fantasy world during my commute.",
        "I get bored once I understand how something works.",
        "Symbolism in films is my favourite thing to analyse.",
        "I'm always reading between the lines of what people say.",
        "Brainstormed twenty ideas for the project and only need one.",
        "I find abstract theories more exciting than practical facts.",
        "Sometimes I just know how something will turn out, I can't explain why.",
        "Thinking about the future keeps me up at night, in a good way.",
        "I love metaphors, everything reminds me of something else.",
        "Read a philosophy article and now I'm questioning everything.",
        "I forgot where I parked because I was thinking about alternate timelines.",
        "New concepts excite me more than familiar routines.",
        "I'd rather invent my own method than follow the usual one.",
        "Connecting the dots between history and technology is my favourite rabbit hole.",
        "My notebook is full of half-finished ideas and diagrams.",
        "I like imagining what could be instead of what is.",
        "Kept speculating about the hidden meaning in that song all day.",
        "The possibilities of this new technology feel endless.",
        "I often miss what's right in front of me because I'm lost in thought.",
    ],
    "T": [
        "Made a spreadsheet to compare the options logically.",
        "I'd rather be right than be liked, honestly.",
        "That argument has a logical flaw and I can't let it go.",
        "Feelings aside, the numbers don't support this plan.",
        "I enjoy a good debate, even about things I don't care about.",
        "Gave my friend blunt feedback because it was the efficient thing to do.",
        "I decide based on pros and cons, not on how I feel.",
        "People say I'm too critical, but I'm just being objective.",
        "If it doesn't make sense, I'm not doing it just because it's tradition.",
        "I analysed why the team lost and wrote it up.",
        "Efficiency matters more to me than keeping everyone happy.",
        "I question every claim until I see the evidence.",
        "Crying doesn't change the facts, let's solve the problem.",
        "Fairness means applying the same rules to everyone.",
        "I like systems that are consistent and logical.",
        "Told my manager the proposal wouldn't work and explained why.",
        "Competence impresses me more than friendliness.",
        "I tend to fix problems instead of offering comfort.",
        "Picked the cheaper option after a cost-benefit analysis.",
        "Debated my roommate about economics for two hours.",
        "I don't take criticism personally if it's accurate.",
        "Logic first, emotions second, that's how I decide.",
        "The reasoning in that article was sloppy and it annoyed me.",
        "I'll play devil's advocate just to test an idea.",
        "Honest critique is a form of respect.",
        "I optimised my morning routine to save twelve minutes.",
        "Someone was wrong on the internet and I had sources.",
        "Truth matters more than tact in most situations.",
    ],
    "F": [
        "I cried at the ending of that movie and I'm not ashamed.",
        "I couldn't say no because I didn't want to hurt her feelings.",
        "My values matter more to me than a bigger salary.",
        "I always check whether everyone in the group feels included.",
        "Kindness is the most important thing in a person.",
        "I felt so bad for the new guy that I invited him to lunch.",
        "I make decisions by asking how they'll affect the people involved.",
        "Conflict makes me anxious, I just want everyone to get along.",
        "Wrote my friend a long card to tell her how much she means to me.",
        "I can feel the mood of a room the second I walk in.",
        "Harsh criticism stays with me for days.",
        "I donated to the animal shelter because it felt right.",
        "My heart usually wins over my head.",
        "I worry about whether I upset someone with my message.",
        "Comforted my sister all evening after her breakup.",
        "It means a lot when someone remembers how I was feeling.",
        "I'd rather keep the peace than win the argument.",
        "I can't pretend to feel something I don't, it goes against my values.",
        "I got emotional listening to an old song from childhood.",
        "Helping people is the part of my job I love most.",
        "I take it personally when someone is treated unfairly.",
        "Empathy first, then solutions.",
        "I apologised even though it wasn't really my fault, I just hate tension.",
        "My friends call me when they need someone to listen.",
        "I chose the job that felt meaningful over the one that paid more.",
        "Seeing someone sad ruins my whole day.",
        "Sent a thank-you message to my old teacher today.",
        "I care a lot about how my words make people feel.",
    ],
    "J": [
        "I already made a packing list for the trip next month.",
        "My calendar is colour-coded and I stick to it.",
        "Finished the report two days before the deadline.",
        "I plan my meals for the whole week every Sunday.",
        "Unfinished tasks bother me until I tick them off.",
        "Booked the hotel, the train and the restaurant months ahead.",
        "I like to know the plan before I leave the house.",
        "Made a to-do list for tomorrow before going to bed.",
        "Last-minute changes to the plan really stress me out.",
        "I clean my desk every evening so I can start fresh.",
        "Set three reminders so I don't forget the dentist.",
        "My budget spreadsheet is updated every Friday.",
        "I arrive ten minutes early to everything.",
        "Decided on the birthday gift weeks ago and already wrapped it.",
        "I prefer to settle decisions quickly and move on.",
        "Sorted all my files into folders by year and project.",
        "A clear schedule makes me feel calm.",
        "Started the assignment the day it was given.",
        "I always have a plan B, just in case.",
        "Laid out my clothes for tomorrow already.",
        "I set goals every January and review them each month.",
        "Meetings without an agenda drive me crazy.",
        "Planned the whole weekend hour by hour and it went great.",
        "I can't relax until the dishes are done.",
        "I keep a checklist for everything, even grocery shopping.",
        "Renewed my passport six months early to be safe.",
        "Wrapped up all my tasks before the holiday so nothing was left hanging.",
        "I like having things decided rather than up in the air.",
    ],
    "P": [
        "No idea what I'm doing this weekend, we'll see.",
        "Booked a flight on a whim last night.",
        "Started the essay at midnight, finished at four, it's fine.",
        "I keep my options open until the last possible moment.",
        "Plans are more like suggestions to me.",
        "Packed for the trip twenty minutes before leaving.",
        "I got distracted by something more interesting again.",
        "Schedules feel like a cage, I'd rather go with the flow.",
        "Changed my mind about dinner three times and ended up somewhere new.",
        "My room is a creative mess and I know where everything is, mostly.",
        "Deadlines are when I finally get motivated.",
        "Took a random turn on my walk and found a great cafe.",
        "I have six projects on the go and none are finished.",
        "Why decide now when we can decide later?",
        "Said yes to a spontaneous road trip this morning.",
        "I never know what I'll feel like eating until I'm there.",
        "Forgot the meeting was today, winged it anyway.",
        "I like surprises more than plans.",
        "Made it up as I went along and it turned out better.",
        "My to-do list is more of a wish list.",
        "I'll do the laundry when I run out of socks.",
        "Dropped my weekend plans when a friend suggested something fun.",
        "I prefer to explore a city without an itinerary.",
        "Routines bore me after about a week.",
        "Left the decision open because something better might come up.",
        "I work in bursts whenever inspiration hits.",
        "Showed up late but with snacks, so it balanced out.",
        "Went to the shop for bread and came back with a guitar.",
    ],
}

NEUTRAL = [
    "It's been raining all week here.",
    "Anyone else watching the new season of that cooking show?",
    "Coffee is the only thing getting me through Monday.",
    "Finally tried the ramen place down the street.",
    "My cat knocked a glass off the table again.",
    "The bus was late this morning.",
    "Work has been busy lately.",
    "I'm thinking about learning to play the piano.",
    "Just finished a really good book.",
    "Does anyone have a recommendation for a good podcast?",
    "The weather finally got warmer.",
    "I had pasta for dinner three nights in a row.",
    "My laptop battery is dying way too fast.",
    "Played some video games after work.",
    "The traffic was terrible today.",
    "I bought a new plant for the balcony.",
    "Summer is almost here.",
    "My neighbour's dog barks at every bicycle.",
    "Trying to drink more water these days.",
    "The new update broke my favourite app.",
    "I'm so tired this week.",
    "Pizza or tacos, that is the question.",
    "My sister is visiting next week.",
    "Watched a documentary about octopuses.",
    "It snowed a little last night.",
    "Got a haircut today.",
    "The office coffee machine is broken again.",
    "Started running again after a long break.",
    "Anyone know a good recipe for lentil soup?",
    "My headphones finally broke.",
    "The train was packed this morning.",
    "I've been listening to a lot of jazz lately.",
    "Grocery prices keep going up.",
    "Tried a new board game with my cousins.",
    "It's way too hot to sleep.",
    "My phone screen cracked again.",
    "The work meeting ran long today.",
    "I'm learning some Spanish on an app.",
    "I switched from coffee to green tea this month.",
    "Our internet was down for an hour.",
    "Found an old photo album at my parents' place.",
    "Exams are coming up soon.",
    "Made pancakes this morning.",
    "The park near my place is being renovated.",
    "Just moved to a new apartment.",
    "My favourite team lost again.",
]

# {T}: the author's type, {t}: lower-case type, {F}: dominant function.
MENTIONS = [
    "As an {T}, this is so relatable.",
    "Typical {T} move, I know.",
    "My {F} is showing, sorry.",
    "Classic {F}-dom behaviour right there.",
    "Is this an {T} thing or just me?",
    "{t} problems, honestly.",
    "My friends say that's very {T} of me.",
    "Blame my {F}.",
    "Fellow {T}s, do you do this too?",
    "The most {T} sentence I have ever written.",
]


def make_post(rng, mbti, lower_style):
    """Compose one post for an author of type `mbti`."""
    n_sig = rng.choice([1, 2, 2])
    axes = rng.sample(range(4), n_sig)
    signals = []
    for a in axes:
        pole = mbti[a]
        if rng.random() < NOISE:
            pole = AXES[a][1] if pole == AXES[a][0] else AXES[a][0]
        signals.append(rng.choice(FRAGMENTS[pole]))
    n_neu = rng.choice([0, 1]) if n_sig == 2 else rng.choice([0, 1, 1, 2])
    neutrals = rng.sample(NEUTRAL, n_neu)
    parts = signals + neutrals
    rng.shuffle(parts)
    while len(" ".join(parts).split()) < 8:
        parts.append(rng.choice([n for n in NEUTRAL if n not in parts]))
    if rng.random() < MENTION_RATE:
        if len(parts) >= 3:
            parts = parts[:2]
        m = rng.choice(MENTIONS).format(T=mbti, t=mbti.lower(), F=DOMINANT[mbti])
        if rng.random() < 0.5:
            parts.append(m)
        else:
            parts.insert(0, m)
    text = " ".join(parts)
    if lower_style:
        text = text.lower()
    return text


def unique_post(rng, mbti, lower_style, seen):
    for _ in range(200):
        text = make_post(rng, mbti, lower_style)
        if text not in seen:
            seen.add(text)
            return text
    raise RuntimeError("could not draw a new unique post for " + mbti)


def build_posts(rng, seen):
    author_types = []
    for mbti in TYPES:
        author_types += [mbti] * AUTHORS_PER_TYPE[mbti]
    rng.shuffle(author_types)
    rows = []
    for i, mbti in enumerate(author_types, start=1):
        author = f"u{i:03d}"
        lower_style = rng.random() < 0.2
        if AUTHORS_PER_TYPE[mbti] == 1:
            n_posts = rng.randint(9, 12)
        elif AUTHORS_PER_TYPE[mbti] == 2:
            n_posts = rng.randint(4, 6)
        else:
            n_posts = rng.randint(3, 7)
        for _ in range(n_posts):
            rows.append(
                {"author": author, "text": unique_post(rng, mbti, lower_style, seen), "label": mbti}
            )
    rng.shuffle(rows)
    return [{"id": f"p{i:05d}", **r} for i, r in enumerate(rows, start=1)]


def build_pool(rng, seen):
    weights = [POOL_WEIGHT[t] for t in TYPES]
    rows = []
    for i in range(1, N_POOL + 1):
        mbti = rng.choices(TYPES, weights=weights)[0]
        lower_style = rng.random() < 0.2
        rows.append({"id": f"q{i:05d}", "text": unique_post(rng, mbti, lower_style, seen)})
    return rows


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def main():
    seen = set()
    posts = build_posts(random.Random(SEED), seen)
    pool = build_pool(random.Random(SEED + 1), seen)
    write_jsonl(os.path.join(HERE, "posts.jsonl"), posts)
    write_jsonl(os.path.join(HERE, "pool.jsonl"), pool)
    print(f"posts.jsonl: {len(posts)} rows, {len({p['author'] for p in posts})} authors")
    print(f"pool.jsonl: {len(pool)} rows")


if __name__ == "__main__":
    main()
