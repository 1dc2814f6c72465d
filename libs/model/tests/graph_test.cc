#include "odmd/model/graph.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "graph_test_util.h"

namespace odmd::model {
namespace {

using graph_test::ChainOrg;
using graph_test::OrgFromText;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct EdgeText {
  std::string consumer, consumer_name, producer, product;
  bool placeholder;
  friend bool operator==(const EdgeText&, const EdgeText&) = default;
  friend std::ostream& operator<<(std::ostream& os, const EdgeText& e) {
    return os << e.consumer << ":" << e.consumer_name << " -> " << e.producer << "/" << e.product
              << (e.placeholder ? " (placeholder)" : "");
  }
};

std::vector<EdgeText> EdgesOf(const Graph& g) {
  std::vector<EdgeText> out;
  for (const Edge& e : g.edges()) {
    out.push_back({g.node(e.consumer).id, g.consumer(e).name, g.node(e.producer).id,
                   g.product(e).name, e.has_placeholder});
  }
  return out;
}

template <typename Range>
std::vector<EdgeIndex> ToVector(const Range& r) {
  return {r.begin(), r.end()};
}

TEST(GraphTest, EmptyOrgHasNoNodesOrEdges) {
  Org org;
  Graph g(org);
  EXPECT_EQ(g.enver_count(), 0u);
  EXPECT_THAT(g.edges(), IsEmpty());
  EXPECT_EQ(g.FindEnver("a/b..main"), std::nullopt);
  EXPECT_EQ(g.FindProduct("a/b..main/x"), std::nullopt);
  EXPECT_EQ(&g.org(), &org);
}

TEST(GraphTest, NodesFollowOrgOrderWithTheirIndices) {
  Org org = OrgFromText(R"(
    a/b..main  +x
    a/t..v1    +x
    b/b..main  in=a/b..main/x
  )");
  Graph g(org);
  ASSERT_EQ(g.enver_count(), 3u);
  EXPECT_EQ(g.node(0).id, "a/b..main");
  EXPECT_EQ(g.node(1).id, "a/t..v1");
  EXPECT_EQ(g.node(2).id, "b/b..main");
  EXPECT_EQ(g.node(1).build_index, 0u);
  EXPECT_EQ(g.node(1).enver_index, 1u);
  EXPECT_EQ(g.node(2).build_index, 1u);
  EXPECT_EQ(&g.build(2), &org.builds[1]);
  EXPECT_EQ(&g.enver(1), &org.builds[0].envers[1]);
}

TEST(GraphTest, FindsEnversAndProductsByIdAndPath) {
  Org org = OrgFromText(R"(
    a/b..main  +x  +api/schema-url
    b/b..main  +y
  )");
  Graph g(org);
  EXPECT_EQ(g.FindEnver("b/b..main"), std::optional<EnverIndex>(1));
  std::optional<ProductLocation> p = g.FindProduct("a/b..main/api/schema-url");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->enver, 0u);
  EXPECT_EQ(p->product_index, 1u);
  std::optional<ProductLocation> by_path = g.FindProduct("/odmd-share/b/b..main/y");
  ASSERT_TRUE(by_path.has_value());
  EXPECT_EQ(by_path->enver, 1u);
  EXPECT_EQ(g.ProductId(*p), "a/b..main/api/schema-url");
  EXPECT_EQ(g.ProductId(*by_path), "b/b..main/y");
}

TEST(GraphTest, LookupsOfWhatDoesNotExistFail) {
  Org org = OrgFromText("a/b..main +x");
  Graph g(org);
  for (const char* id : {"", "a", "a/", "a/b..dev", "A/b..main", "a/b..main/", "/a/b..main"}) {
    EXPECT_EQ(g.FindEnver(id), std::nullopt) << id;
  }
  for (const char* id :
       {"", "a/b..main", "a/b..main/y", "a/b..main/X", "/odmd-share/a/b..main",
        "/odmd-shareX/a/b..main/x", "odmd-share/a/b..main/x", "/odmd-share//a/b..main/x"}) {
    EXPECT_EQ(g.FindProduct(id), std::nullopt) << id;
  }
}

// a <- b (one edge with a placeholder) <- c, and c <- a.
constexpr const char* kThreeEnvers = R"(
    a/b..main  +x  +y
    b/b..main  +z  first=a/b..main/y  second=a/b..main/x?ph
    c/b..main  one=b/b..main/z  two=a/b..main/x
  )";

TEST(GraphTest, EdgesRunFromConsumerToProducerInConsumerOrder) {
  Org org = OrgFromText(kThreeEnvers);
  Graph g(org);
  EXPECT_THAT(EdgesOf(g), ElementsAre(EdgeText{"b/b..main", "first", "a/b..main", "y", false},
                                      EdgeText{"b/b..main", "second", "a/b..main", "x", true},
                                      EdgeText{"c/b..main", "one", "b/b..main", "z", false},
                                      EdgeText{"c/b..main", "two", "a/b..main", "x", false}));
  EXPECT_EQ(g.edge(1).consumer_index, 1u);
  EXPECT_EQ(g.edge(1).product_index, 0u);
  EXPECT_EQ(&g.consumer(g.edge(1)), &org.builds[1].envers[0].consumers[1]);
  EXPECT_EQ(&g.product(g.edge(0)), &org.builds[0].envers[0].products[1]);
}

TEST(GraphTest, AdjacencyListsDependenciesAndDependents) {
  Org org = OrgFromText(kThreeEnvers);
  Graph g(org);
  EXPECT_THAT(ToVector(g.dependencies(0)), IsEmpty());
  EXPECT_THAT(ToVector(g.dependencies(1)), ElementsAre(0u, 1u));
  EXPECT_THAT(ToVector(g.dependencies(2)), ElementsAre(2u, 3u));
  EXPECT_THAT(ToVector(g.dependents(0)), ElementsAre(0u, 1u, 3u));
  EXPECT_THAT(ToVector(g.dependents(1)), ElementsAre(2u));
  EXPECT_THAT(ToVector(g.dependents(2)), IsEmpty());
}

// The index of dependents is built on first use: threads asking at once all see it whole,
// and a moved graph keeps it.
TEST(GraphTest, DependentsBuiltOnFirstUseAreTheSameForEveryThread) {
  Org org = OrgFromText(kThreeEnvers);
  Graph g(org);
  std::vector<std::vector<EdgeIndex>> seen(4);
  {
    std::vector<std::jthread> threads;
    for (size_t t = 0; t < seen.size(); ++t) {
      threads.emplace_back([&g, &seen, t] {
        for (EnverIndex i = 0; i < 3; ++i) {
          for (EdgeIndex e : g.dependents(i)) seen[t].push_back(e);
          seen[t].push_back(99);
        }
      });
    }
  }
  for (const std::vector<EdgeIndex>& s : seen) {
    EXPECT_THAT(s, ElementsAre(0u, 1u, 3u, 99u, 2u, 99u, 99u));
  }
  Graph moved = std::move(g);
  EXPECT_THAT(ToVector(moved.dependents(0)), ElementsAre(0u, 1u, 3u));
}

// The graph keeps two facts per node for the rules' edge walks: whether the rev is
// immutable, and a number per region, equal exactly for equal regions, whether a region
// comes back after another or the same id is declared twice (only the first is a node).
TEST(GraphTest, NodesKnowTheirImmutabilityAndRegionNumber) {
  Org org = OrgFromText(R"(
    a/b..main
    a/t..v1
    a/b..main-_b..feat
    a/t..v1-_b..hotfix
    b/b..main
    b/b..dev
  )");
  org.builds[0].envers[1].region = "eu-west-1";
  org.builds[0].envers[3].region = "eu-west-1";
  org.builds[1].envers[1].region = "ap-south-1";
  org.builds[1].envers.push_back(org.builds[1].envers[1]);  // b/b..dev again: not a node
  org.builds[1].envers.back().region = "us-east-2";
  Graph g(org);
  ASSERT_EQ(g.enver_count(), 6u);
  std::vector<bool> immutable;
  for (EnverIndex i = 0; i < 6; ++i) immutable.push_back(g.immutable(i));
  EXPECT_THAT(immutable, ElementsAre(false, true, false, true, false, false));
  std::vector<std::string> regions;
  for (EnverIndex i = 0; i < 6; ++i) regions.push_back(g.enver(i).region);
  for (EnverIndex i = 0; i < 6; ++i) {
    for (EnverIndex j = 0; j < 6; ++j) {
      EXPECT_EQ(g.region_number(i) == g.region_number(j), regions[i] == regions[j]) << i << j;
    }
  }
}

TEST(GraphTest, ConsumersThatDoNotResolveAddNoEdge) {
  struct Case {
    const char* name;
    const char* consumer;
  };
  for (const Case& c : std::vector<Case>{
           {"unknown build", "in=zz/b..main/x"},
           {"unknown rev", "in=a/b..dev/x"},
           {"unknown product", "in=a/b..main/nope"},
           {"no product part", "in=a/b..main"},
           {"no slash at all", "in=nothing"},
           {"product of wrong enver", "in=c/b..main/x"},
       }) {
    Org org = OrgFromText(std::string("a/b..main +x\nc/b..main +y\nb/b..main ") + c.consumer);
    Graph g(org);
    EXPECT_THAT(g.edges(), IsEmpty()) << c.name;
    EXPECT_THAT(ToVector(g.dependencies(2)), IsEmpty()) << c.name;
  }
}

TEST(GraphTest, ResolvedConsumersKeepTheirIndexBesideSkippedOnes) {
  Org org = OrgFromText(R"(
    a/b..main  +x
    b/b..main  bad=a/b..main/nope  good=a/b..main/x  worse=q/b..main/x
  )");
  Graph g(org);
  ASSERT_EQ(g.edges().size(), 1u);
  EXPECT_EQ(g.edge(0).consumer_index, 1u);
  EXPECT_EQ(g.consumer(g.edge(0)).name, "good");
}

TEST(GraphTest, ConsumingOwnEnverAddsNoEdge) {
  Org org = OrgFromText(R"(
    a/b..main  +x  self=a/b..main/x
    a/b..dev   +x  sibling=a/b..main/x
  )");
  Graph g(org);
  // Only the cross-enver edge (still R4's to report, as the same build) remains.
  EXPECT_THAT(EdgesOf(g), ElementsAre(EdgeText{"a/b..dev", "sibling", "a/b..main", "x", false}));
}

TEST(GraphTest, DuplicateEnverIdKeepsTheFirst) {
  Org org = OrgFromText(R"(
    a/b..main  +first
    a/b..main  +second  in=b/b..main/y
    b/b..main  +y  one=a/b..main/first  two=a/b..main/second
  )");
  Graph g(org);
  ASSERT_EQ(g.enver_count(), 2u);
  EXPECT_EQ(g.FindEnver("a/b..main"), std::optional<EnverIndex>(0));
  EXPECT_EQ(g.node(1).id, "b/b..main");
  EXPECT_EQ(g.node(1).enver_index, 0u);
  EXPECT_EQ(g.node(1).build_index, 1u);
  EXPECT_TRUE(g.FindProduct("a/b..main/first").has_value());
  EXPECT_FALSE(g.FindProduct("a/b..main/second").has_value());
  // The duplicate's consumer adds nothing; "two" names a product only the duplicate has.
  EXPECT_THAT(EdgesOf(g), ElementsAre(EdgeText{"b/b..main", "one", "a/b..main", "first", false}));
}

TEST(GraphTest, DuplicateProductNameResolvesToTheFirst) {
  // Both lookup paths: a short product list is scanned, a long one is hashed.
  for (int extra : {0, 12}) {
    std::string producer = "a/b..main +dup +dup";
    for (int i = 0; i < extra; ++i) producer += " +p" + std::to_string(i);
    Org org = OrgFromText(producer + "\nb/b..main in=a/b..main/dup last=a/b..main/p11");
    Graph g(org);
    ASSERT_FALSE(g.edges().empty()) << extra;
    EXPECT_EQ(g.edge(0).product_index, 0u) << extra;
    EXPECT_EQ(g.FindProduct("a/b..main/dup")->product_index, 0u) << extra;
    EXPECT_EQ(g.edges().size(), extra == 0 ? 1u : 2u);
    if (extra > 0) {
      EXPECT_EQ(g.product(g.edge(1)).name, "p11");
    }
  }
}

// An enver publishing the names of the previous one's products, in order, takes their name
// ids without interning them again; any other list is interned: every product is found
// where its own enver lists it.
TEST(GraphTest, ProductsResolveWhenNeighboursPublishTheSameNames) {
  Org org = OrgFromText(R"(
    a/b..main  +x  +y
    b/b..main  +x  +y
    c/b..main  +y  +x
    d/b..main  +y  +x  +z
    e/b..main  one=a/b..main/y  two=b/b..main/y  three=c/b..main/y  four=d/b..main/z  five=d/b..main/x
  )");
  Graph g(org);
  ASSERT_EQ(g.edges().size(), 5u);
  std::vector<std::string> found;
  for (const Edge& e : g.edges()) found.push_back(g.ProductId({e.producer, e.product_index}));
  EXPECT_THAT(found, ElementsAre("a/b..main/y", "b/b..main/y", "c/b..main/y", "d/b..main/z",
                                 "d/b..main/x"));
  EXPECT_EQ(g.FindProduct("c/b..main/x")->product_index, 1u);
  EXPECT_EQ(g.FindProduct("b/b..main/x")->product_index, 0u);
  // Name numbers: equal exactly for equal names, across the nodes.
  std::vector<std::pair<std::string, std::uint32_t>> numbered;
  for (EnverIndex i = 0; i < g.enver_count(); ++i) {
    std::span<const std::uint32_t> numbers = g.product_name_numbers(i);
    ASSERT_EQ(numbers.size(), g.enver(i).products.size());
    for (size_t p = 0; p < numbers.size(); ++p) {
      numbered.emplace_back(g.enver(i).products[p].name, numbers[p]);
    }
  }
  for (const auto& [name, number] : numbered) {
    for (const auto& [other, other_number] : numbered) {
      EXPECT_EQ(name == other, number == other_number) << name << " " << other;
    }
  }
}

TEST(GraphTest, ManyProductsResolveThroughTheHashedLookup) {
  std::string producer = "a/b..main";
  std::string consumer = "b/b..main";
  for (int i = 0; i < 20; ++i) {
    producer += " +p" + std::to_string(i);
    consumer += " c" + std::to_string(i) + "=a/b..main/p" + std::to_string(19 - i);
  }
  Org org = OrgFromText(producer + "\n" + consumer + " miss=a/b..main/p20");
  Graph g(org);
  ASSERT_EQ(g.edges().size(), 20u);
  for (EdgeIndex e = 0; e < 20; ++e) EXPECT_EQ(g.edge(e).product_index, 19 - e);
}

// The graph caches resolved producers by SharedText identity (copies of one text): copies,
// equal texts in separate blocks, inline texts, unknown producers and texts whose cache slots
// collide all resolve as the text alone says.
TEST(GraphTest, ProducersResolveByTextWhetherTheirTextsAreCopiesOrNot) {
  Org org;
  constexpr int kProducers = 40;  // more than the cache's smallest table: slots are shared
  for (int p = 0; p < kProducers; ++p) {
    Build& b = org.builds.emplace_back();
    b.id = "producer-build-" + std::to_string(p);  // a block: longer than 7 bytes
    Enver& e = b.envers.emplace_back();
    e.rev = RevRef::Branch("main");
    e.products.push_back({"x"});
  }
  Build& inline_build = org.builds.emplace_back();
  inline_build.id = "i";  // "i/b..main": 9 bytes, a block too; its product name is inline
  inline_build.envers.emplace_back().rev = RevRef::Branch("main");
  inline_build.envers.back().products.push_back({"y"});
  SharedText shared_unknown = "nobody/b..main";
  std::vector<EdgeText> expected;
  for (int c = 0; c < 3; ++c) {
    Build& b = org.builds.emplace_back();
    b.id = "consumer" + std::to_string(c);
    Enver& e = b.envers.emplace_back();
    e.rev = RevRef::Branch("main");
    for (int p = 0; p < kProducers; ++p) {
      std::string producer = "producer-build-" + std::to_string(p) + "/b..main";
      // Consumer 0 holds a text of its own per producer, 1 and 2 copies of 0's.
      SharedText text = c == 0 ? SharedText(producer)
                               : org.builds[kProducers + 1].envers[0].consumers[p].producer;
      e.consumers.push_back({"c" + std::to_string(p), text, "x", std::nullopt});
      expected.push_back({b.id + "/b..main", "c" + std::to_string(p), producer, "x", false});
    }
    e.consumers.push_back({"unknown", shared_unknown, "x", std::nullopt});
    e.consumers.push_back({"z", "i/b..main", "y", std::nullopt});
    expected.push_back({b.id + "/b..main", "z", "i/b..main", "y", false});
  }
  Graph g(org);
  EXPECT_EQ(EdgesOf(g), expected);
}

// The graph numbers the org's distinct product names (its table grows as names come) and
// caches consumers' product texts by identity: with hundreds of names, copies of one text,
// separate equal texts, inline and longer texts, a name no product has and a name the named
// producer lacks, every consumer resolves as its texts alone say.
TEST(GraphTest, ProductsResolveByNameWhateverTheNumberOfNamesAndTheirTexts) {
  constexpr int kEnvers = 30, kNamesPerEnver = 10;  // 300 names: some envers hash, some scan
  Org org;
  org.builds.reserve(2);  // the references below stay valid
  Build& producers = org.builds.emplace_back();
  producers.id = "p";
  for (int e = 0; e < kEnvers; ++e) {
    Enver& enver = producers.envers.emplace_back();
    enver.rev = RevRef::Branch("e" + std::to_string(e));
    int names = e % 2 == 0 ? kNamesPerEnver : 3;  // > 8 products: the hashed lookup
    for (int n = 0; n < names; ++n) {
      // Inline ("n1-2") and longer names; every enver also has "shared".
      enver.products.push_back({n % 3 == 0
                                    ? "product-name-" + std::to_string(e) + "-" + std::to_string(n)
                                    : "n" + std::to_string(e) + "-" + std::to_string(n)});
    }
    enver.products.push_back({"shared"});
  }
  Build& consumers = org.builds.emplace_back();
  consumers.id = "c";
  Enver& consumer = consumers.envers.emplace_back();
  consumer.rev = RevRef::Branch("main");
  SharedText shared = "shared-but-longer-than-seven";  // no product has it
  SharedText common = "shared";
  std::vector<EdgeText> expected;
  for (int e = 0; e < kEnvers; ++e) {
    std::string producer = "p/b..e" + std::to_string(e);
    const Enver& target = producers.envers[static_cast<size_t>(e)];
    for (size_t n = 0; n < target.products.size(); ++n) {
      std::string name = "c" + std::to_string(e) + "-" + std::to_string(n);
      // Separate texts for some, copies of one text for "shared".
      SharedText product =
          target.products[n].name == "shared" ? common : SharedText(target.products[n].name);
      consumer.consumers.push_back({name, producer, product, std::nullopt});
      expected.push_back({"c/b..main", name, producer, target.products[n].name, false});
    }
    consumer.consumers.push_back({"x" + std::to_string(e), producer, shared, std::nullopt});
    // A name another enver has, which this one lacks.
    std::string other = "n" + std::to_string((e + 1) % kEnvers) + "-1";
    consumer.consumers.push_back({"y" + std::to_string(e), producer, other, std::nullopt});
  }
  Graph g(org);
  EXPECT_EQ(EdgesOf(g), expected);
  EXPECT_EQ(g.FindProduct("p/b..e3/shared")->product_index, 3u);
  EXPECT_EQ(g.FindProduct("p/b..e4/product-name-4-9")->product_index, 9u);
  EXPECT_EQ(g.FindProduct("p/b..e4/" + shared.str()), std::nullopt);
  EXPECT_EQ(g.FindProduct("p/b..e3/n4-1"), std::nullopt);
}

// Names are compared by length, then in words (graph.cc, SameText): at every length from 1
// to 20 bytes, names differing only in their first, a middle or their last byte are told apart.
TEST(GraphTest, NamesDifferingInOneByteAreToldApartAtEveryLength) {
  for (size_t n = 1; n <= 20; ++n) {
    std::string name(n, 'q');
    for (size_t at : {size_t{0}, n / 2, n - 1}) {
      std::string other = name;
      other[at] = 'r';
      for (int products : {2, 12}) {  // a scanned list, and the hashed lookup
        Org org;
        Build& a = org.builds.emplace_back();
        a.id = "a";
        Enver& producer = a.envers.emplace_back();
        producer.rev = RevRef::Branch("main");
        for (int p = 0; p + 1 < products; ++p)
          producer.products.push_back({"z" + std::to_string(p)});
        producer.products.push_back({other});
        Build& b = org.builds.emplace_back();
        b.id = "b";
        Enver& consumer = b.envers.emplace_back();
        consumer.rev = RevRef::Branch("main");
        consumer.consumers.push_back({"c", "a/b..main", name, std::nullopt});
        Graph g(org);
        SCOPED_TRACE("length " + std::to_string(n) + ", byte " + std::to_string(at));
        EXPECT_THAT(g.edges(), IsEmpty());
        EXPECT_EQ(g.FindProduct("a/b..main/" + name), std::nullopt);
        ASSERT_TRUE(g.FindProduct("a/b..main/" + other).has_value());
        EXPECT_EQ(g.FindEnver(other), std::nullopt);
      }
    }
  }
}

// A product id is "<enver id>/<name>" and names may hold '/': in an invalid org (a build id
// with '/', R1) one id can split two ways. The enver first in node order wins, as it does
// for a duplicate enver id, whichever split comes first in the text.
TEST(GraphTest, AProductIdThatSplitsTwoWaysFindsTheFirstEnver) {
  for (bool slashed_build_first : {false, true}) {
    Org org;
    Build plain;
    plain.id = "x";
    Enver a;
    a.rev = RevRef::Branch("m");
    a.products.push_back({"b..n/p"});  // "x/b..m" + "/" + "b..n/p"
    plain.envers.push_back(a);
    Build slashed;
    slashed.id = "x/b..m";
    Enver b;
    b.rev = RevRef::Branch("n");
    b.products.push_back({"p"});  // "x/b..m/b..n" + "/" + "p"
    slashed.envers.push_back(b);
    org.builds = slashed_build_first ? std::vector<Build>{slashed, plain}
                                     : std::vector<Build>{plain, slashed};
    Graph g(org);
    std::optional<ProductLocation> found = g.FindProduct("x/b..m/b..n/p");
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->enver, 0u) << slashed_build_first;
    EXPECT_EQ(g.ProductId(*found), "x/b..m/b..n/p");
  }
}

TEST(GraphTest, CloneAndTagEnversAreOrdinaryNodes) {
  Org org = OrgFromText(R"(
    a/t..v1                +x
    a/b..master-_b..feat1  +x
    b/b..master-_t..v9     in=a/b..master-_b..feat1/x  tag=a/t..v1/x
  )");
  Graph g(org);
  EXPECT_EQ(g.FindEnver("a/b..master-_b..feat1"), std::optional<EnverIndex>(1));
  EXPECT_EQ(g.edges().size(), 2u);
  EXPECT_TRUE(g.FindProduct("/odmd-share/a/b..master-_b..feat1/x").has_value());
}

TEST(GraphTest, LongChainBuildsLinearAdjacency) {
  constexpr int kN = 50000;
  Org org = ChainOrg(kN);
  Graph g(org);
  ASSERT_EQ(g.enver_count(), static_cast<size_t>(kN));
  ASSERT_EQ(g.edges().size(), static_cast<size_t>(kN - 1));
  EXPECT_THAT(ToVector(g.dependencies(kN - 1)), ElementsAre(static_cast<EdgeIndex>(kN - 2)));
  EXPECT_THAT(ToVector(g.dependents(0)), ElementsAre(0u));
  EXPECT_EQ(g.node(g.edge(kN - 2).producer).id, "c" + std::to_string(kN - 2) + "/b..main");
}

}  // namespace
}  // namespace odmd::model
